-- The reference job: live per-region order metrics.
--
-- orders_raw is the Kafka topic of the same name, JSON values produced by
-- `eddy gen orders`; orders_summary is an upsert table (Kafka key = region,
-- value = the row, delete = tombstone) read by a live dashboard.

CREATE TABLE orders_raw (
  order_id BIGINT,
  user_id  BIGINT,
  amount   DOUBLE,
  region   STRING,
  ts       TIMESTAMP_LTZ(3) METADATA FROM 'timestamp'
) WITH ('scan.startup.mode' = 'earliest-offset');

CREATE TABLE orders_summary (
  region STRING PRIMARY KEY NOT ENFORCED,
  total_orders BIGINT,
  total_sales DOUBLE,
  avg_order_value DOUBLE
) WITH ('changelog.mode' = 'upsert');

INSERT INTO orders_summary
SELECT region, COUNT(*) AS total_orders, SUM(amount) AS total_sales,
       ROUND(AVG(amount), 2) AS avg_order_value
FROM orders_raw
GROUP BY region;
