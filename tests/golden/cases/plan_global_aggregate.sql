-- pins: an aggregate without GROUP BY: a single updating row, unique key = the empty key []
CREATE TABLE orders (order_id BIGINT, amount DOUBLE, region STRING);

SELECT COUNT(*) AS n, SUM(amount) AS total, MAX(amount) AS biggest FROM orders;
