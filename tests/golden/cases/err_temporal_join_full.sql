-- pins: a temporal join is inner or LEFT (Flink has no RIGHT or FULL temporal join)
CREATE TABLE orders (order_id BIGINT, currency STRING, amount DOUBLE, ts TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND);
CREATE TABLE rates (currency STRING PRIMARY KEY NOT ENFORCED, rate DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('changelog.mode' = 'upsert');
SELECT o.order_id, r.rate FROM orders o FULL JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.currency = r.currency;
