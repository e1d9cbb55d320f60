-- GROUP BY with many keys: the reference job's aggregates per user_id.
--
-- bench/run.sh produces orders_raw with `eddy gen orders --users 100000`, so
-- this job keeps ~100k groups (1M orders: about 10 per user).  The result is
-- an upsert table keyed by user_id; with the default mini-batch of 10,000
-- rows each batch updates ~9,500 distinct users, so nearly every input row
-- becomes one upsert out (one per key per batch, not one per row).

CREATE TABLE orders_raw (
  order_id BIGINT,
  user_id  BIGINT,
  amount   DOUBLE,
  region   STRING,
  ts       TIMESTAMP_LTZ(3) METADATA FROM 'timestamp'
) WITH ('scan.startup.mode' = 'earliest-offset');

CREATE TABLE orders_by_user (
  user_id BIGINT PRIMARY KEY NOT ENFORCED,
  total_orders BIGINT,
  total_sales DOUBLE,
  avg_order_value DOUBLE
) WITH ('changelog.mode' = 'upsert');

INSERT INTO orders_by_user
SELECT user_id, COUNT(*) AS total_orders, SUM(amount) AS total_sales,
       ROUND(AVG(amount), 2) AS avg_order_value
FROM orders_raw
GROUP BY user_id;
