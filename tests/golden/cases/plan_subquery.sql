-- pins: subqueries in FROM: aliases and renamed columns, a filter over an aggregate's output (retract below it), the unique key following a rename, an aggregate over an aggregate
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING);

SELECT r, n
FROM (SELECT region AS r, COUNT(*) AS n FROM orders GROUP BY region) AS t
WHERE n > 10;

SELECT t.r FROM (SELECT region AS r, amount FROM orders WHERE amount > 1) t;

SELECT n, COUNT(*) AS users
FROM (SELECT user_id, COUNT(*) AS n FROM orders GROUP BY user_id)
GROUP BY n;
