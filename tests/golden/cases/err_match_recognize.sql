-- pins: MATCH_RECOGNIZE is refused by name, with its position, not as a bare syntax error
CREATE TABLE t (a INT);
SELECT * FROM t MATCH_RECOGNIZE (PARTITION BY a);
