-- pins: arithmetic on a STRING; caret on the operator
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, qty INT);
SELECT region * 2 FROM orders;
