-- pins: comparison of STRING with INT (Flink has no implicit cast here); caret on the operator
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, qty INT);
SELECT region FROM orders WHERE region = 1;
