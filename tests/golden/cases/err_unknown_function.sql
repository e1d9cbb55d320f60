-- pins: a function eddy does not know
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, qty INT);
SELECT frobnicate(region) FROM orders;
