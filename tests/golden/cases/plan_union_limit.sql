-- pins: a LIMIT after the last SELECT of a UNION [ALL] limits the whole union (it is not the last branch's)
CREATE TABLE a (id BIGINT, region STRING);
CREATE TABLE b (id BIGINT, region STRING);
SELECT id FROM a UNION ALL SELECT id FROM b LIMIT 5;
SELECT id FROM a UNION SELECT id FROM b LIMIT 3;
