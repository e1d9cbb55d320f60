-- pins: a global aggregate (one row, no key) cannot feed an upsert table
CREATE TABLE t (x INT);
CREATE TABLE u (k STRING PRIMARY KEY NOT ENFORCED, n BIGINT);
INSERT INTO u SELECT 'all', COUNT(*) FROM t;
