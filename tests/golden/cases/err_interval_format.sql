-- pins: an INTERVAL literal whose text does not fit its qualifier names the expected shape
CREATE TABLE t (ts TIMESTAMP(3));
SELECT ts + INTERVAL '1:30' HOUR TO SECOND FROM t;
