-- pins: a view whose column list does not match its query is refused, counting both (it once read freed memory: found by fuzz/compile)
CREATE TABLE orders (id BIGINT, region STRING, amount DOUBLE);
CREATE VIEW eu_big (order_no, value) AS SELECT id * amount FROM orders WHERE amount > 9;
