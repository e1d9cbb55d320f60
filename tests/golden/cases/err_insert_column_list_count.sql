-- pins: INSERT with a column list longer than the query
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, qty INT);
CREATE TABLE pairs (order_id BIGINT, region STRING);
INSERT INTO pairs (order_id, region) SELECT order_id FROM orders;
