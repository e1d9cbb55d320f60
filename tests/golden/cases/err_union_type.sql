-- pins: a UNION column without a common type names the column and both types
CREATE TABLE a (id BIGINT, region STRING);
CREATE TABLE b (id BIGINT, created DATE);
SELECT id, region FROM a UNION ALL SELECT id, created FROM b;
