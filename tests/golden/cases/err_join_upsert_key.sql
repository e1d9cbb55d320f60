-- pins: an append table LEFT JOIN an upsert table has no unique key: an upsert sink is refused
CREATE TABLE orders (order_id BIGINT, customer_id BIGINT);
CREATE TABLE customers (customer_id BIGINT PRIMARY KEY NOT ENFORCED, name STRING) WITH ('changelog.mode' = 'upsert');
CREATE TABLE enriched (order_id BIGINT PRIMARY KEY NOT ENFORCED, name STRING);
INSERT INTO enriched SELECT o.order_id, c.name FROM orders o LEFT JOIN customers c ON o.customer_id = c.customer_id;
