-- bench/state/orders.sql: the reference aggregate grouped by region, for
-- bench/state_bench.sh.  A 1 s checkpoint interval (used when the job runs
-- with a state file; --state none turns checkpoints off).
SET 'execution.checkpointing.interval' = '1 s';

CREATE TABLE orders_raw (
  order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING,
  ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp'
) WITH ('scan.startup.mode' = 'earliest-offset');

CREATE TABLE summary_out (
  region STRING PRIMARY KEY NOT ENFORCED,
  total_orders BIGINT, total_sales DOUBLE, avg_order_value DOUBLE
) WITH ('changelog.mode' = 'upsert');

INSERT INTO summary_out
SELECT region, COUNT(*) AS total_orders, SUM(amount) AS total_sales,
       ROUND(AVG(amount), 2) AS avg_order_value
FROM orders_raw
GROUP BY region;
