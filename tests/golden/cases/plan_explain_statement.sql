-- pins: EXPLAIN SELECT / EXPLAIN INSERT inside a script plan like the bare statements (JSON statement "EXPLAIN")
CREATE TABLE orders (order_id BIGINT, amount DOUBLE, region STRING);
CREATE TABLE cheap (order_id BIGINT, amount DOUBLE);

EXPLAIN SELECT region FROM orders WHERE amount > 1;

explain INSERT INTO cheap SELECT order_id, amount FROM orders WHERE amount < 5;
