-- pins: EXTRACT of a unit eddy (and Flink) does not know, caret on the unit
CREATE TABLE ev (ts TIMESTAMP(3));
SELECT EXTRACT(FORTNIGHT FROM ts) FROM ev;
