-- pins: an aggregate in GROUP BY
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, qty INT);
SELECT COUNT(*) FROM orders GROUP BY COUNT(*);
