-- pins: interval bounds between an event-time and a processing-time attribute are refused
CREATE TABLE pays (pid BIGINT, oid BIGINT, ts TIMESTAMP_LTZ(3), WATERMARK FOR ts AS ts);
CREATE TABLE auths (oid BIGINT, pt AS PROCTIME());
SELECT p.pid FROM pays p JOIN auths a ON p.oid = a.oid AND p.ts BETWEEN a.pt AND a.pt + INTERVAL '1' MINUTE;
