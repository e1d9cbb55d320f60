-- The HOP of window_hop.sql computed without slices, for comparison: the
-- window table function copies each order into its 60 windows and a
-- regular GROUP BY counts them (an updating aggregate keyed by region and
-- window_start).  Same input and the same final table as window_hop.sql;
-- bench/README.md says how to run both by hand.
CREATE TABLE orders_raw (
  order_id BIGINT,
  user_id  BIGINT,
  amount   DOUBLE,
  region   STRING,
  ts       TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH ('scan.startup.mode' = 'earliest-offset');

CREATE TABLE sales_last_minute_naive (
  region STRING,
  window_start TIMESTAMP(3),
  orders BIGINT,
  sales DOUBLE,
  PRIMARY KEY (region, window_start) NOT ENFORCED
);

INSERT INTO sales_last_minute_naive
SELECT region, window_start, COUNT(*), SUM(amount)
FROM TABLE(HOP(TABLE orders_raw, DESCRIPTOR(ts), INTERVAL '1' SECOND, INTERVAL '1' MINUTE))
GROUP BY region, window_start;
