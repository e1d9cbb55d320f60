-- pins: HOP with named arguments and an offset, HAVING on the window aggregate, window_time kept as a rowtime attribute
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('topic' = 'orders');
SELECT window_start, window_end, window_time, COUNT(*) AS n, MAX(amount) AS biggest
FROM TABLE(HOP(DATA => TABLE orders, TIMECOL => DESCRIPTOR(ts), SLIDE => INTERVAL '10' SECOND, SIZE => INTERVAL '1' MINUTE, OFFSET => INTERVAL '5' SECOND))
GROUP BY window_start, window_end, window_time
HAVING COUNT(*) > 10;
