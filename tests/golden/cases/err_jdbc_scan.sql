-- A jdbc table is read only in a lookup join (no scan source yet).
CREATE TABLE users (id BIGINT PRIMARY KEY NOT ENFORCED, name STRING) WITH ('connector' = 'jdbc', 'url' = 'host=x');
EXPLAIN SELECT * FROM users;
