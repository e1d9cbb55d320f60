-- pins: a join condition that is not BOOLEAN
CREATE TABLE orders (order_id BIGINT, customer_id BIGINT);
CREATE TABLE customers (customer_id BIGINT, name STRING);
SELECT name FROM orders o JOIN customers c ON o.customer_id + c.customer_id;
