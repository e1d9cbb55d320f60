-- pins: HOP_START needs a HOP group window
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('topic' = 'orders');
SELECT HOP_START(ts, INTERVAL '1' MINUTE, INTERVAL '1' HOUR), COUNT(*) FROM orders GROUP BY TUMBLE(ts, INTERVAL '1' HOUR);
