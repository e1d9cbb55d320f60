-- pins: a jdbc table in FROM is a bounded scan (append, unique by its PRIMARY KEY; only the columns read are fetched), into Kafka and into an aggregate
CREATE TABLE users (id BIGINT PRIMARY KEY NOT ENFORCED, name STRING, tier INT) WITH ('connector' = 'jdbc', 'url' = 'host=x', 'scan.fetch-size' = '500');
CREATE TABLE users_copy (id BIGINT, name STRING, tier INT) WITH ('topic' = 'users_copy');
CREATE TABLE per_tier (tier INT PRIMARY KEY NOT ENFORCED, n BIGINT) WITH ('connector' = 'jdbc', 'url' = 'host=x');
EXPLAIN INSERT INTO users_copy SELECT * FROM users WHERE tier > 0;
EXPLAIN INSERT INTO per_tier SELECT tier, COUNT(*) FROM users GROUP BY tier;
