-- pins: a LIMIT between two UNIONs belongs to a branch, which cannot have one
CREATE TABLE a (id BIGINT, region STRING);
CREATE TABLE b (id BIGINT, region STRING);
SELECT id FROM a UNION ALL SELECT id FROM b LIMIT 5 UNION ALL SELECT id FROM a;
