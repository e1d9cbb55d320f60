-- pins: a temporal join whose probe side is an interval join's output is refused (its rows may be later than the watermark)
CREATE TABLE pays (pid BIGINT, oid BIGINT, cur STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);
CREATE TABLE auths (oid BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);
CREATE TABLE rates (cur STRING PRIMARY KEY NOT ENFORCED, rate DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('changelog.mode' = 'upsert');
SELECT m.pid, r.rate FROM (SELECT p.pid, p.cur, p.ts FROM pays p JOIN auths a ON p.oid = a.oid AND p.ts BETWEEN a.ts AND a.ts + INTERVAL '1' MINUTE) m
JOIN rates FOR SYSTEM_TIME AS OF m.ts AS r ON m.cur = r.cur;
