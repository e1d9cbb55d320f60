-- pins: a table reading several topics cannot have a WATERMARK (per-partition watermarks of one topic)
CREATE TABLE t (x INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('topic' = 'a;b');
