-- Pass-through: every order copied, decoded and re-encoded, into an append
-- topic.  The yardstick for GROUP BY with many keys (bench/run.sh): decode
-- + encode + produce of one record per input row, with no state.

CREATE TABLE orders_raw (
  order_id BIGINT,
  user_id  BIGINT,
  amount   DOUBLE,
  region   STRING,
  ts       TIMESTAMP_LTZ(3) METADATA FROM 'timestamp'
) WITH ('scan.startup.mode' = 'earliest-offset');

CREATE TABLE orders_copy (
  order_id BIGINT,
  user_id  BIGINT,
  amount   DOUBLE,
  region   STRING,
  ts       TIMESTAMP_LTZ(3)
) WITH ('changelog.mode' = 'append');

INSERT INTO orders_copy SELECT * FROM orders_raw;
