-- pins: a regular join's output has no time attribute (Flink's rule): a window over it is refused
CREATE TABLE clicks (user_id BIGINT, page STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND);
CREATE TABLE users (user_id BIGINT, name STRING);
SELECT name, COUNT(*) FROM clicks c JOIN users u ON c.user_id = u.user_id GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), name;
