-- pins: interval bounds that no pair of rows satisfies are refused
CREATE TABLE pays (pid BIGINT, oid BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);
CREATE TABLE auths (oid BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);
SELECT p.pid FROM pays p JOIN auths a ON p.oid = a.oid AND p.ts >= a.ts + INTERVAL '2' MINUTE AND p.ts <= a.ts + INTERVAL '1' MINUTE;
