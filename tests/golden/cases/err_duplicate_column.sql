-- pins: a column declared twice; caret on the second
CREATE TABLE t (x INT, y STRING, x BIGINT);
