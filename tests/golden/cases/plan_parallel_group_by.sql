-- pins: parallelism.default > 1 cuts the reference job into stages: LocalGroupAggregate, Exchange(hash[region]), GlobalGroupAggregate
SET 'parallelism.default' = '4';
CREATE TABLE orders_raw (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING);
CREATE TABLE orders_summary (
  region STRING PRIMARY KEY NOT ENFORCED,
  total_orders BIGINT, total_sales DOUBLE, avg_order_value DOUBLE
) WITH ('changelog.mode' = 'upsert');
INSERT INTO orders_summary
SELECT region, COUNT(*) AS total_orders, SUM(amount) AS total_sales, ROUND(AVG(amount), 2) AS avg_order_value
FROM orders_raw GROUP BY region;
