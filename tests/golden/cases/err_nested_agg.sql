-- pins: an aggregate inside an aggregate; caret on the inner one
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, qty INT);
SELECT region, MAX(SUM(amount)) FROM orders GROUP BY region;
