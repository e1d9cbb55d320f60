-- Deduplication (issue 13): the first row of each order_id on processing
-- time, Flink's pattern for at-least-once duplicates; append-only output.
-- Every order id of `eddy gen` is distinct, so all N rows go out: the same
-- output volume as the pass-through job, plus one keyed-state insert per row.
CREATE TABLE orders_raw (
  order_id BIGINT,
  user_id  BIGINT,
  amount   DOUBLE,
  region   STRING,
  ts       TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
  pt AS PROCTIME()
) WITH ('scan.startup.mode' = 'earliest-offset');

CREATE TABLE orders_dedup (
  order_id BIGINT,
  user_id  BIGINT,
  amount   DOUBLE,
  region   STRING,
  ts       TIMESTAMP_LTZ(3)
) WITH ('changelog.mode' = 'append');

INSERT INTO orders_dedup
SELECT order_id, user_id, amount, region, ts FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY order_id ORDER BY pt ASC) AS rn FROM orders_raw
) WHERE rn = 1;
