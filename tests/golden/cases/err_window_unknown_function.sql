-- pins: FROM TABLE(f(...)) with a function that is not a window function
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('topic' = 'orders');
SELECT * FROM TABLE(SLIDING(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' MINUTE));
