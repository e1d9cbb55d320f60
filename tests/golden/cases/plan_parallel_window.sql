-- pins: a window aggregate partitioned by its key, and a second aggregate over its rows keyed by a column that passes through (no second exchange)
SET 'parallelism.default' = '2';
CREATE TABLE clicks (user_id BIGINT, url STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND);
CREATE TABLE per_user (user_id BIGINT PRIMARY KEY NOT ENFORCED, windows BIGINT, clicks BIGINT) WITH ('changelog.mode' = 'upsert');
INSERT INTO per_user
SELECT user_id, COUNT(*), SUM(n) FROM (
  SELECT user_id, window_start, COUNT(*) AS n
  FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
  GROUP BY user_id, window_start, window_end)
GROUP BY user_id;
