-- Event-time windows: orders and sales per region per minute (HOP of 1 minute sliding by 1 second: size/slide = 60).
--
-- bench/run.sh produces orders_raw with `eddy gen orders --event-step '1 ms'`:
-- record i has the Kafka timestamp 2024-01-01 + i ms, so 1M orders span
-- 1000 s of event time (1060 windows per region, each row in 60 of them).  The watermark
-- trails the largest timestamp by 5 s; a bounded run's end of input is a
-- final watermark, so every window fires.
CREATE TABLE orders_raw (
  order_id BIGINT,
  user_id  BIGINT,
  amount   DOUBLE,
  region   STRING,
  ts       TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH ('scan.startup.mode' = 'earliest-offset');

CREATE TABLE sales_last_minute (
  region STRING,
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  orders BIGINT,
  sales DOUBLE,
  PRIMARY KEY (region, window_start, window_end) NOT ENFORCED
);

INSERT INTO sales_last_minute
SELECT region, window_start, window_end, COUNT(*), SUM(amount)
FROM TABLE(HOP(TABLE orders_raw, DESCRIPTOR(ts), INTERVAL '1' SECOND, INTERVAL '1' MINUTE))
GROUP BY region, window_start, window_end;
