-- pins: LATERAL TABLE (user-defined table functions) is refused by name
CREATE TABLE t (a INT);
SELECT * FROM t, LATERAL TABLE(split(a));
