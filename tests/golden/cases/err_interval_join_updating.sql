-- pins: an interval join needs append-only inputs (Flink: IntervalJoin doesn't support consuming update and delete changes)
CREATE TABLE pays (pid BIGINT, oid BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);
CREATE TABLE auths (oid BIGINT PRIMARY KEY NOT ENFORCED, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('changelog.mode' = 'upsert');
SELECT p.pid FROM pays p JOIN auths a ON p.oid = a.oid AND p.ts BETWEEN a.ts AND a.ts + INTERVAL '1' MINUTE;
