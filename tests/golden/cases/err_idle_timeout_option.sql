-- pins: the table option scan.watermark.idle-timeout takes a duration; caret on the value
CREATE TABLE clicks (
  ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
  WATERMARK FOR ts AS ts
) WITH ('scan.watermark.idle-timeout' = 'a while');
