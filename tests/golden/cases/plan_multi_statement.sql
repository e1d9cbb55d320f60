-- pins: one script, several statements: DDL, SET, SHOW/DESCRIBE, DROP + re-CREATE, IF [NOT] EXISTS, two INSERTs and a SELECT, each plan headed by its line
CREATE TABLE orders (order_id BIGINT, amount DOUBLE, region STRING);
CREATE TABLE IF NOT EXISTS orders (ignored INT);
SET 'table.exec.mini-batch.allow-latency' = '250 ms';
SET 'pipeline.name' = 'totals_job';

CREATE TABLE totals (region STRING PRIMARY KEY NOT ENFORCED, total DOUBLE);
INSERT INTO totals SELECT region, SUM(amount) FROM orders GROUP BY region;

RESET 'pipeline.name';
SHOW TABLES;
DESCRIBE totals;
DROP TABLE totals;
DROP TABLE IF EXISTS no_such_table;
CREATE TABLE totals (region STRING, total DOUBLE) WITH ('changelog.mode' = 'retract');
INSERT INTO totals SELECT region, SUM(amount) FROM orders GROUP BY region;

SELECT order_id FROM orders WHERE amount > 0;
