-- pins: two window TVFs joined on window_start and window_end (and a key) make a WindowJoin: append-only for every join kind; without both window equalities it stays a regular join
CREATE TABLE lefts (id BIGINT, v STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND);
CREATE TABLE rights (id BIGINT, w STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);
SELECT L.id, L.v, R.w, L.window_start, L.window_end FROM TABLE(TUMBLE(TABLE lefts, DESCRIPTOR(ts), INTERVAL '5' MINUTE)) L
LEFT JOIN TABLE(TUMBLE(TABLE rights, DESCRIPTOR(ts), INTERVAL '5' MINUTE)) R ON L.window_start = R.window_start AND L.window_end = R.window_end AND L.id = R.id AND L.v <> R.w;
SELECT * FROM TABLE(HOP(TABLE lefts, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '5' MINUTE)) L
FULL JOIN TABLE(HOP(TABLE rights, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '5' MINUTE)) R ON L.window_start = R.window_start AND L.window_end = R.window_end;
SELECT L.id FROM TABLE(TUMBLE(TABLE lefts, DESCRIPTOR(ts), INTERVAL '5' MINUTE)) L
JOIN TABLE(TUMBLE(TABLE rights, DESCRIPTOR(ts), INTERVAL '5' MINUTE)) R ON L.window_start = R.window_start AND L.id = R.id;
