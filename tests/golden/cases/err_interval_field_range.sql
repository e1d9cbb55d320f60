-- pins: a field of an INTERVAL … TO … literal beyond its unit (seconds below 60); caret on the string
CREATE TABLE t (ts TIMESTAMP(3));
SELECT ts + INTERVAL '1:70' MINUTE TO SECOND FROM t;
