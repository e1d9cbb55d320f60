-- pins: the dashboard example: orders and sales per region per minute, a TUMBLE window aggregate into an upsert table keyed by region and window (append-only rows, the key holds them); late rows copied (with every column of the windowed row) to late_orders
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('topic' = 'orders', 'late-rows.topic' = 'late_orders');
CREATE TABLE sales_per_minute (
  region STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3), orders BIGINT, sales DOUBLE,
  PRIMARY KEY (region, window_start, window_end) NOT ENFORCED
) WITH ('topic' = 'sales_per_minute');
INSERT INTO sales_per_minute
SELECT region, window_start, window_end, COUNT(*), SUM(amount)
FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
GROUP BY region, window_start, window_end;
