-- pins: INTERVAL literals in singular and plural units and the day-time TO forms, printed in their largest whole unit
CREATE TABLE t (ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1:30' MINUTE TO SECOND);
SELECT
  ts + INTERVAL '10' MINUTES AS plural,
  ts - INTERVAL '1 12' DAY TO HOUR AS day_hour,
  ts + INTERVAL '2 03:04' DAY TO MINUTE AS day_minute,
  ts + INTERVAL '-1 02:03:04.5' DAY TO SECOND AS day_second,
  ts + INTERVAL '10:30' HOUR TO MINUTE AS hour_minute,
  ts + INTERVAL '1:02:03.004' HOUR TO SECOND AS hour_second,
  ts + INTERVAL '0.25' SECOND AS fraction,
  ts + INTERVAL '3' DAYS AS days,
  ts + INTERVAL '250' MILLISECONDS AS millis
FROM t;
