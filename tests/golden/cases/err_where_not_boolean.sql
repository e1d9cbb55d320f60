-- pins: a WHERE condition that is not BOOLEAN
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, qty INT);
SELECT region FROM orders WHERE amount;
