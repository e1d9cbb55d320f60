-- pins: a string literal without its closing quote; the caret is on the opening quote
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, qty INT);
SELECT region FROM orders WHERE region = 'eu;
