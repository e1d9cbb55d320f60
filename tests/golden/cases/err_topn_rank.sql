-- pins: RANK() in a Top-N is refused by name, with the caret on it
CREATE TABLE sales (region STRING, user_id BIGINT, amount DOUBLE);
SELECT * FROM (SELECT *, RANK() OVER (PARTITION BY region ORDER BY amount DESC) AS r FROM sales) WHERE r <= 3;
