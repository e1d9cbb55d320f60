-- pins: time attributes in the schemas: a WATERMARK column is *ROWTIME*, a `pt AS PROCTIME()` column *PROCTIME*, through a subquery too; a PROCTIME() call in a SELECT is *PROCTIME* too (as in Flink: a view may add one for a processing-time window); expressions over them are plain
SET 'table.exec.source.idle-timeout' = '30 s';
SET 'table.local-time-zone' = 'Asia/Shanghai';
CREATE TABLE orders (
  order_id BIGINT,
  ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
  pt AS PROCTIME(),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECONDS
) WITH ('scan.watermark.idle-timeout' = '1 min');

SELECT order_id, ts, pt, PROCTIME() AS now_, ts + INTERVAL '1' SECOND AS later, CURRENT_WATERMARK(ts) AS wm
FROM (SELECT order_id, ts, pt FROM orders);
