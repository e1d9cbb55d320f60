-- pins: an aggregate in WHERE (use HAVING)
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, qty INT);
SELECT region FROM orders WHERE SUM(amount) > 100 GROUP BY region;
