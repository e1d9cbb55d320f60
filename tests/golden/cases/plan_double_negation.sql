-- pins: -(-x) prints with parentheses (never "--", which reads as a comment)
CREATE TABLE t (x INT);
SELECT -(-x) AS y, -(-1) AS z FROM t;
