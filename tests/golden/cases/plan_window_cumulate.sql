-- pins: CUMULATE per user with a WHERE before the windows and an expression over window columns in the select list
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('topic' = 'orders');
SELECT user_id, window_start, window_end, SUM(amount) AS spent, CAST(window_end AS STRING) AS until
FROM TABLE(CUMULATE(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' HOUR, INTERVAL '1' DAY))
WHERE amount > 0
GROUP BY user_id, window_start, window_end;
