-- pins: SECOND TO MINUTE is no interval qualifier; caret on the end unit
CREATE TABLE t (ts TIMESTAMP(3));
SELECT ts + INTERVAL '1' SECOND TO MINUTE FROM t;
