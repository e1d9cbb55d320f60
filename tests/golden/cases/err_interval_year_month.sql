-- pins: year-month intervals are refused with a message that says so (eddy's intervals are day-time)
CREATE TABLE t (ts TIMESTAMP(3));
SELECT ts + INTERVAL '1' MONTHS FROM t;
