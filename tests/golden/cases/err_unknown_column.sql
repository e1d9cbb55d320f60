-- pins: a column the table does not have, named with its table
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, qty INT);
SELECT region, discount FROM orders;
