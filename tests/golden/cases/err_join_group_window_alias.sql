-- pins: a group window over a join names its time column with the join's aliases: an unknown one is an error at the column
CREATE TABLE pays (pid BIGINT, oid BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);
CREATE TABLE auths (oid BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);
SELECT COUNT(*)
FROM pays p JOIN auths a ON p.oid = a.oid AND p.ts BETWEEN a.ts AND a.ts + INTERVAL '1' MINUTE
GROUP BY TUMBLE(x.ts, INTERVAL '1' MINUTE);
