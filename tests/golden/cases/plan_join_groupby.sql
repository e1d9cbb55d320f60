-- pins: a join of three tables (left to right) under a GROUP BY: the aggregate takes the join's retractions
CREATE TABLE orders (order_id BIGINT, customer_id BIGINT, product_id BIGINT, amount DOUBLE);
CREATE TABLE customers (customer_id BIGINT PRIMARY KEY NOT ENFORCED, region STRING) WITH ('changelog.mode' = 'upsert');
CREATE TABLE products (product_id BIGINT PRIMARY KEY NOT ENFORCED, category STRING) WITH ('changelog.mode' = 'upsert');
CREATE TABLE sales (region STRING, category STRING, total DOUBLE, PRIMARY KEY (region, category) NOT ENFORCED);
INSERT INTO sales
SELECT c.region, p.category, SUM(o.amount)
FROM orders o
JOIN customers c ON o.customer_id = c.customer_id
JOIN products p ON o.product_id = p.product_id
GROUP BY c.region, p.category;
