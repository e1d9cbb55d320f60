-- pins: an interval join (BETWEEN, the >=/<= form with either side first, strict bounds) appends and keeps both time attributes; its bounds in EXPLAIN; bounds on other columns stay residual
CREATE TABLE pays (pid BIGINT, oid BIGINT, amount INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE);
CREATE TABLE auths (aid BIGINT, oid BIGINT, ts TIMESTAMP(3), created TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE);
CREATE TABLE matched (pid BIGINT, aid BIGINT, pay_ts TIMESTAMP(3), auth_ts TIMESTAMP(3));
INSERT INTO matched SELECT p.pid, a.aid, p.ts, a.ts FROM pays p JOIN auths a ON p.oid = a.oid AND p.ts BETWEEN a.ts - INTERVAL '4' HOUR AND a.ts;
SELECT * FROM pays p LEFT JOIN auths a ON a.oid = p.oid AND a.ts <= p.ts + INTERVAL '10' SECOND AND a.ts >= p.ts AND p.ts > a.created;
SELECT p.pid, a.aid FROM pays p FULL JOIN auths a ON p.oid = a.oid AND p.ts > a.ts AND p.ts < a.ts + INTERVAL '90' SECOND;
