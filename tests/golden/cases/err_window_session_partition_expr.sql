-- pins: SESSION without an aggregate with a PARTITION BY over an expression is refused (its keys must be columns of its table)
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('topic' = 'orders');
SELECT * FROM TABLE(SESSION(TABLE orders PARTITION BY user_id + 1, DESCRIPTOR(ts), INTERVAL '1' MINUTE));
