-- pins: SESSION without an aggregate: rows wait in their session (per PARTITION BY key) and come out tagged when it fires
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('topic' = 'orders');
SELECT * FROM TABLE(SESSION(TABLE orders PARTITION BY user_id, DESCRIPTOR(ts), INTERVAL '1' MINUTE));
