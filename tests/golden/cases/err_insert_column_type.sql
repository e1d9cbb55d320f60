-- pins: INSERT of a STRING into an INT column; caret on the select item
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, qty INT);
CREATE TABLE qty_by_order (order_id BIGINT, qty INT);
INSERT INTO qty_by_order SELECT order_id, region FROM orders;
