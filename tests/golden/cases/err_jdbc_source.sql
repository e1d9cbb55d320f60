-- eddy writes jdbc tables but does not read them (no scan or lookup source yet).
CREATE TABLE o (order_id BIGINT, region STRING, proc AS PROCTIME());
CREATE TABLE customers (region STRING PRIMARY KEY NOT ENFORCED, name STRING)
  WITH ('connector' = 'jdbc', 'url' = 'jdbc:postgresql://127.0.0.1/shop');
EXPLAIN SELECT o.order_id, c.name FROM o JOIN customers FOR SYSTEM_TIME AS OF o.proc AS c ON o.region = c.region;
