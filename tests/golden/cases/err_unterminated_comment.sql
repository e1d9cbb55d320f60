-- pins: a /* comment that never ends; the caret is on the /*
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, qty INT);
SELECT region /* the rest of the file is a comment
FROM orders;
