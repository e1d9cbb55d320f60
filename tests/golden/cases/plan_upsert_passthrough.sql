-- pins: upsert source into an upsert table on the same key (normalize stays upsert), with a filter (normalize retract, calc upsert), into a retract table, and a keyless retract source into an aggregate
CREATE TABLE users (user_id BIGINT, region STRING, score INT, PRIMARY KEY (user_id) NOT ENFORCED);
CREATE TABLE users_copy (user_id BIGINT, region STRING, score INT, PRIMARY KEY (user_id) NOT ENFORCED);
CREATE TABLE users_log (user_id BIGINT, region STRING, score INT) WITH ('changelog.mode' = 'retract');
CREATE TABLE region_counts (region STRING PRIMARY KEY NOT ENFORCED, n BIGINT);

INSERT INTO users_copy SELECT * FROM users;

INSERT INTO users_copy SELECT user_id, UPPER(region), score FROM users WHERE score > 0;

INSERT INTO users_log SELECT * FROM users;

INSERT INTO region_counts SELECT region, COUNT(*) FROM users_log GROUP BY region;
