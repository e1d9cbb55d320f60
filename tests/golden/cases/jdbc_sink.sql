-- A jdbc (PostgreSQL) table as an upsert sink and as an append sink: no topic, no formats.
CREATE TABLE o (order_id BIGINT, region STRING, amount DOUBLE);
CREATE TABLE per_region (region STRING PRIMARY KEY NOT ENFORCED, n BIGINT, total DOUBLE)
  WITH ('connector' = 'jdbc', 'url' = 'jdbc:postgresql://127.0.0.1:5432/shop', 'table-name' = 'public.per_region');
CREATE TABLE big (order_id BIGINT, amount DOUBLE)
  WITH ('connector' = 'jdbc', 'url' = 'host=127.0.0.1 dbname=shop');
EXPLAIN INSERT INTO per_region SELECT region, COUNT(*), SUM(amount) FROM o GROUP BY region;
EXPLAIN INSERT INTO big SELECT order_id, amount FROM o WHERE amount > 100;
