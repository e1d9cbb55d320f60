-- pins: the WHERE of a window aggregate cannot read the window's columns (it runs before the windows exist)
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('topic' = 'orders');
SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
WHERE window_start > TIMESTAMP '2024-01-01 00:00:00' GROUP BY window_start, window_end;
