-- bench/state/by_order.sql: the reference aggregate grouped by order_id, for
-- bench/state_bench.sh.  A 1 s checkpoint interval (used when the job runs
-- with a state file; --state none turns checkpoints off).
SET 'execution.checkpointing.interval' = '1 s';

CREATE TABLE orders_raw (
  order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING,
  ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp'
) WITH ('scan.startup.mode' = 'earliest-offset');

CREATE TABLE by_order_out (
  order_id BIGINT PRIMARY KEY NOT ENFORCED,
  total_orders BIGINT, total_sales DOUBLE, avg_order_value DOUBLE
) WITH ('changelog.mode' = 'upsert');

INSERT INTO by_order_out
SELECT order_id, COUNT(*) AS total_orders, SUM(amount) AS total_sales,
       ROUND(AVG(amount), 2) AS avg_order_value
FROM orders_raw
GROUP BY order_id;
