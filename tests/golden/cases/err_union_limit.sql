-- pins: LIMIT belongs to the outermost query, not to a UNION branch
CREATE TABLE a (id BIGINT, region STRING);
CREATE TABLE b (id BIGINT, region STRING);
SELECT id FROM a LIMIT 5 UNION ALL SELECT id FROM b;
