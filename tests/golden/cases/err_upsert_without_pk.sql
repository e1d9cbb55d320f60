-- pins: changelog.mode 'upsert' on a table without PRIMARY KEY
CREATE TABLE t (region STRING, n BIGINT) WITH ('changelog.mode' = 'upsert');
