-- pins: end of input is reported just past the last token, even with trailing newlines
CREATE TABLE t (a INT);
SELECT a FROM t WHERE a =

