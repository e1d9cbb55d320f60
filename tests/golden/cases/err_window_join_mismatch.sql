-- pins: a window join needs the same windows on both sides
CREATE TABLE lefts (id BIGINT, v STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);
CREATE TABLE rights (id BIGINT, w STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);
SELECT L.id FROM TABLE(TUMBLE(TABLE lefts, DESCRIPTOR(ts), INTERVAL '5' MINUTE)) L
JOIN TABLE(TUMBLE(TABLE rights, DESCRIPTOR(ts), INTERVAL '10' MINUTE)) R ON L.window_start = R.window_start AND L.window_end = R.window_end AND L.id = R.id;
