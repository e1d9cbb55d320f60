-- pins: the default (mini-batch on, eddy's compact changelog) for the queries of plan_flink_changelog: a filter judges an update as a pair, so the calc under an upsert sink stays upsert and shows no mini-batch attribute
SET 'table.exec.mini-batch.enabled' = 'true';

CREATE TABLE clicks (`user` STRING, url STRING);
CREATE TABLE accounts (id BIGINT PRIMARY KEY NOT ENFORCED, region STRING, balance DOUBLE) WITH ('changelog.mode' = 'upsert');
CREATE TABLE active_users (`user` STRING PRIMARY KEY NOT ENFORCED, cnt BIGINT);
CREATE TABLE rich (id BIGINT PRIMARY KEY NOT ENFORCED, region STRING, balance DOUBLE);

INSERT INTO active_users SELECT `user`, COUNT(*) FROM clicks GROUP BY `user` HAVING COUNT(*) BETWEEN 2 AND 3;

INSERT INTO rich SELECT id, region, balance FROM accounts WHERE balance >= 10;
