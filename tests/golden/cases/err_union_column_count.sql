-- pins: the queries of a UNION ALL must have as many columns as each other
CREATE TABLE a (id BIGINT, region STRING);
CREATE TABLE b (id BIGINT, region STRING);
SELECT id, region FROM a
UNION ALL SELECT id FROM b;
