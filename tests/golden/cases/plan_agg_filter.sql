-- pins: FILTER (WHERE …) on aggregates as Flink's EXPLAIN shows it (the condition a $f column of the input Calc), LISTAGG/STDDEV types, in a group and a window aggregate
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, qty INT, price DECIMAL(10, 2),
                     ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND);
CREATE TABLE region_stats (region STRING PRIMARY KEY NOT ENFORCED, big BIGINT, users STRING, sd DOUBLE, sdp DECIMAL(38, 6), firstq INT)
  WITH ('changelog.mode' = 'upsert');
INSERT INTO region_stats
SELECT region, COUNT(*) FILTER (WHERE amount > 100) AS big, LISTAGG(CAST(user_id AS STRING), ';') FILTER (WHERE qty > 1) AS users,
       STDDEV_POP(amount) AS sd, VAR_SAMP(price) FILTER (WHERE amount > 100) AS sdp, FIRST_VALUE(qty) AS firstq
FROM orders GROUP BY region;
SELECT window_start, region, COUNT(*) FILTER (WHERE qty > 1) AS multi, LAST_VALUE(amount) AS last_amount
FROM TABLE(HOP(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '5' MINUTE))
GROUP BY window_start, window_end, region;
