-- pins: an unqualified column that both sides of a join have names both tables
CREATE TABLE orders (order_id BIGINT, customer_id BIGINT);
CREATE TABLE customers (customer_id BIGINT, name STRING);
SELECT customer_id FROM orders o JOIN customers c ON o.customer_id = c.customer_id;
