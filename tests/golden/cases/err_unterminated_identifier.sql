-- pins: a `backtick identifier without its closing backtick
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, qty INT);
SELECT `region FROM orders;
