-- pins: EXPLAIN of a statement that has no plan
EXPLAIN CREATE TABLE t (x INT);
