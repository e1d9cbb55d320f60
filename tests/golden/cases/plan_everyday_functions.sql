-- pins: the everyday library's printing and result types: EXTRACT(unit FROM …), TIMESTAMPADD/DIFF units, POSITION … IN, LEFT/RIGHT, IF, IFNULL (nullable only with its replacement), JSON clauses, the clock readers (NOT NULL)
CREATE TABLE ev (id INT NOT NULL, s STRING, ts TIMESTAMP(3), d DATE, n BIGINT NOT NULL, p DECIMAL(10, 3));
SELECT EXTRACT(DOW FROM ts) AS dow, TIMESTAMPADD(MONTH, 1, d) AS next_month, TIMESTAMPADD(HOUR, 1, d) AS date_hour,
       TIMESTAMPDIFF(DAY, d, ts) AS days, DATE_FORMAT(ts, 'yyyy-MM-dd') AS day, DATE_FORMAT(s, 'HH') AS hour_of_text,
       CURRENT_TIMESTAMP AS now_ltz, LOCALTIMESTAMP AS now_local, CURRENT_DATE AS today, UNIX_TIMESTAMP() AS epoch,
       TO_TIMESTAMP(s) AS parsed, TO_DATE(s, 'yyyyMMdd') AS parsed_day, FROM_UNIXTIME(n) AS from_epoch,
       REGEXP_EXTRACT(s, '(\d+)', 1) AS digits, REGEXP(s, 'a') AS has_a, REGEXP_REPLACE(s, 'a', 'b') AS replaced,
       POSITION('x' IN s) AS pos, LEFT(s, 2) AS l2, RIGHT(s, 2) AS r2, LPAD(s, 5, '0') AS padded, MD5(s) AS md5,
       JSON_VALUE(s, '$.a' RETURNING INT DEFAULT 0 ON EMPTY) AS jv, JSON_QUERY(s, '$.a' WITH ARRAY WRAPPER) AS jq,
       JSON_OBJECT(KEY 'id' VALUE id) AS jo, JSON_ARRAY(id, s) AS ja, JSON_EXISTS(s, '$.a') AS je,
       IF(id > 1, id, n) AS if_, IFNULL(s, 'none') AS ifnull_notnull, IFNULL(id, n) AS ifnull_nonnull_first,
       GREATEST(id, n) AS greatest_, SIGN(p) AS sign_, TRUNCATE(p, 1) AS trunc_, SQRT(n) AS sqrt_, UUID() AS uuid_
FROM ev;
