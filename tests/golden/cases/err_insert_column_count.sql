-- pins: INSERT without a column list whose query is narrower than the table
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, qty INT);
CREATE TABLE pairs (order_id BIGINT, region STRING);
INSERT INTO pairs SELECT order_id FROM orders;
