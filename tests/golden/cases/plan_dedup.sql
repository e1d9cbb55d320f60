-- pins: deduplication (Deduplicate: keep, key, the time attribute): first row on processing time is append-only, last row and event time are upsert on the key
CREATE TABLE clicks (
  user_id BIGINT,
  url     STRING,
  ts      TIMESTAMP(3),
  pt AS PROCTIME(),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
);

CREATE TABLE first_clicks (user_id BIGINT, url STRING);

INSERT INTO first_clicks
SELECT user_id, url FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY pt) AS rn FROM clicks
) WHERE rn = 1;

CREATE TABLE last_clicks (user_id BIGINT PRIMARY KEY NOT ENFORCED, url STRING, ts TIMESTAMP(3));

INSERT INTO last_clicks
SELECT user_id, url, ts FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY ts DESC) AS rn FROM clicks
) WHERE rn = 1;
