-- pins: orders LEFT JOIN an upsert customers table into an upsert sink: both sides normalised, the join's unique key is the order's (customers are unique per join key), the sink takes upserts
CREATE TABLE orders (order_id BIGINT PRIMARY KEY NOT ENFORCED, customer_id BIGINT, amount DOUBLE) WITH ('changelog.mode' = 'upsert');
CREATE TABLE customers (customer_id BIGINT PRIMARY KEY NOT ENFORCED, name STRING, region STRING) WITH ('changelog.mode' = 'upsert');
CREATE TABLE enriched (order_id BIGINT PRIMARY KEY NOT ENFORCED, name STRING, amount DOUBLE);
INSERT INTO enriched
SELECT o.order_id, c.name, o.amount FROM orders o LEFT JOIN customers c ON o.customer_id = c.customer_id;
