-- pins: an event-time window over an interval join's output (the join holds its output watermark back by its bounds, as Flink)
CREATE TABLE pays (pid BIGINT, oid BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);
CREATE TABLE auths (oid BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);
SELECT COUNT(*) FROM (SELECT p.pid, p.ts FROM pays p JOIN auths a ON p.oid = a.oid AND p.ts BETWEEN a.ts AND a.ts + INTERVAL '1' MINUTE)
GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE);
