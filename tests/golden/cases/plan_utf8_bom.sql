-- pins: a UTF-8 byte-order mark before the first statement is skipped (editors write one)
CREATE TABLE t (a INT);
SELECT a FROM t;
