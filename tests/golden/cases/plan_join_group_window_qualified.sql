-- pins: a group window over a join in FROM reads the join's qualified columns (p.ts, p.pid); the interval join holds its watermark back for it
CREATE TABLE pays (pid BIGINT, oid BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);
CREATE TABLE auths (oid BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);
SELECT p.pid, TUMBLE_START(p.ts, INTERVAL '1' MINUTE), COUNT(*)
FROM pays p JOIN auths a ON p.oid = a.oid AND p.ts BETWEEN a.ts AND a.ts + INTERVAL '1' MINUTE
GROUP BY TUMBLE(p.ts, INTERVAL '1' MINUTE), p.pid;
