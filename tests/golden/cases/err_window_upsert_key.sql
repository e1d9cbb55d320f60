-- pins: window rows into an upsert table keyed by region alone would overwrite each other window after window: refused, naming the key that holds them
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('topic' = 'orders');
CREATE TABLE per_region (region STRING PRIMARY KEY NOT ENFORCED, window_start TIMESTAMP(3), orders BIGINT) WITH ('topic' = 'per_region');
INSERT INTO per_region SELECT region, window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) GROUP BY region, window_start, window_end;
