-- REGEXP_EXTRACT and DATE_FORMAT on every row (issue 20): the pass-through
-- job's decode + encode + produce, plus a regular expression match and a
-- date formatting per order.  Yardstick: bench/sql/passthrough.sql (>= 0.8x).

CREATE TABLE orders_raw (
  order_id BIGINT,
  user_id  BIGINT,
  amount   DOUBLE,
  region   STRING,
  ts       TIMESTAMP_LTZ(3) METADATA FROM 'timestamp'
) WITH ('scan.startup.mode' = 'earliest-offset');

CREATE TABLE orders_tagged (
  order_id BIGINT,
  user_id  BIGINT,
  amount   DOUBLE,
  area     STRING,
  minute   STRING
) WITH ('changelog.mode' = 'append');

INSERT INTO orders_tagged
SELECT order_id, user_id, amount,
       REGEXP_EXTRACT(region, '^([a-z]+)-', 1) AS area,
       DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm') AS minute
FROM orders_raw;
