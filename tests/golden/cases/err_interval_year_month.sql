-- pins: a year-month interval where only a day-time one works (a window's size) is refused with a message that says where it works
CREATE TABLE t (ts TIMESTAMP(3), WATERMARK FOR ts AS ts);
SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' MONTHS)) GROUP BY window_start, window_end;
