-- pins: a window over a column that is not a time attribute names the column and how to make it one
CREATE TABLE orders (order_id BIGINT, amount DOUBLE, ts TIMESTAMP(3));
SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) GROUP BY window_start, window_end;
