-- A lookup join is processing time: AS OF must name a PROCTIME() column.
CREATE TABLE o (order_id BIGINT, user_id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);
CREATE TABLE users (id BIGINT PRIMARY KEY NOT ENFORCED, name STRING) WITH ('connector' = 'jdbc', 'url' = 'host=x');
EXPLAIN SELECT o.order_id, u.name FROM o JOIN users FOR SYSTEM_TIME AS OF o.ts AS u ON o.user_id = u.id;
