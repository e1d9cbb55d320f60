-- pins: a character that starts no token
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, qty INT);
SELECT region FROM orders WHERE qty @ 2;
