-- pins: WATERMARK on a metadata timestamp and on a computed column is accepted; the rows pass through (types TIMESTAMP_LTZ(3))
CREATE TABLE clicks (
  user_id BIGINT,
  url STRING,
  ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
);

CREATE TABLE views (
  page STRING,
  epoch_ms BIGINT,
  view_time AS TO_TIMESTAMP_LTZ(epoch_ms, 3),
  WATERMARK FOR view_time AS view_time - INTERVAL '200' MILLISECOND
);

SELECT user_id, url, ts FROM clicks WHERE url LIKE '/shop/%';

SELECT page, view_time FROM views;
