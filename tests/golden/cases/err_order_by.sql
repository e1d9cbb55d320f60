-- pins: ORDER BY of a continuous query is refused by name
CREATE TABLE t (a INT);
SELECT a FROM t ORDER BY a;
