-- pins: a built-in function called with too many arguments
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, qty INT);
SELECT UPPER(region, 'x') FROM orders;
