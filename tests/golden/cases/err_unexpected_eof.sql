-- pins: input that stops mid-statement: unexpected end of input, caret just past the last token (file has no final newline)
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, qty INT);
SELECT region FROM