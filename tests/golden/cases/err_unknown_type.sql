-- pins: a column type eddy does not know
CREATE TABLE t (x INT, y TEXT);
