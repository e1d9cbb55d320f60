-- pins: with mini-batch off (Flink's changelog) -U is kept where Flink's planner keeps it: a filter between an aggregate or a normalize and an upsert sink makes everything below it retract (the sink writes each -U as a tombstone); without a filter an upsert sink gets no -U, not even from a retract source
SET 'table.exec.mini-batch.enabled' = 'false';

CREATE TABLE clicks (`user` STRING, url STRING);
CREATE TABLE accounts (id BIGINT PRIMARY KEY NOT ENFORCED, region STRING, balance DOUBLE) WITH ('changelog.mode' = 'upsert');
CREATE TABLE balances (id BIGINT PRIMARY KEY NOT ENFORCED, balance DOUBLE) WITH ('changelog.mode' = 'retract');
CREATE TABLE active_users (`user` STRING PRIMARY KEY NOT ENFORCED, cnt BIGINT);
CREATE TABLE rich (id BIGINT PRIMARY KEY NOT ENFORCED, region STRING, balance DOUBLE);
CREATE TABLE region_totals (region STRING PRIMARY KEY NOT ENFORCED, total DOUBLE);
CREATE TABLE balances_copy (id BIGINT PRIMARY KEY NOT ENFORCED, balance DOUBLE);

INSERT INTO active_users SELECT `user`, COUNT(*) FROM clicks GROUP BY `user` HAVING COUNT(*) BETWEEN 2 AND 3;

INSERT INTO rich SELECT id, region, balance FROM accounts WHERE balance >= 10;

INSERT INTO region_totals SELECT region, SUM(balance) FROM accounts GROUP BY region;

INSERT INTO balances_copy SELECT id, balance FROM balances;

SELECT region, COUNT(*) AS n FROM accounts GROUP BY region;
