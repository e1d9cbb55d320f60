-- pins: SESSION is supported in a window aggregate only
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('topic' = 'orders');
SELECT * FROM TABLE(SESSION(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' MINUTE));
