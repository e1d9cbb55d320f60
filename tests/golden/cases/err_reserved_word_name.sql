-- pins: a reserved word where a name fits gets the backtick hint (LEFT, RIGHT and OUTER are reserved, as in Flink: `FROM t LEFT JOIN` is never `t AS LEFT`)
CREATE TABLE moves (left INT, `right` INT);
