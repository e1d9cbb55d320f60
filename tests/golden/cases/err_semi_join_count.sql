-- pins: IN compares as many values as its subquery has columns
CREATE TABLE orders (order_id BIGINT, customer_id BIGINT, amount INT);
CREATE TABLE vip (customer_id BIGINT, tier STRING);
SELECT order_id FROM orders WHERE (customer_id, amount) IN (SELECT customer_id FROM vip);
