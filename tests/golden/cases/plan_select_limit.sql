-- pins: a bare SELECT becomes a Collect (to the client) that keeps its LIMIT, append for a scan, retract with a key for an aggregate
CREATE TABLE orders (order_id BIGINT, amount DOUBLE, region STRING);

SELECT * FROM orders LIMIT 10;

SELECT region, COUNT(*) AS n FROM orders GROUP BY region LIMIT 3;
