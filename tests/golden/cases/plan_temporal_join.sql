-- pins: an event-time temporal join (FOR SYSTEM_TIME AS OF) against an upsert table, inner and LEFT, with and without an alias; append-only output that keeps the order's time attribute
CREATE TABLE orders (order_id BIGINT, currency STRING, amount DOUBLE, ts TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND);
CREATE TABLE rates (currency STRING PRIMARY KEY NOT ENFORCED, rate DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('changelog.mode' = 'upsert');
CREATE TABLE converted (order_id BIGINT, amount DOUBLE, ts TIMESTAMP(3));
INSERT INTO converted SELECT o.order_id, o.amount * r.rate, o.ts FROM orders AS o JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.currency = r.currency;
SELECT order_id, rate FROM orders o LEFT JOIN rates FOR SYSTEM_TIME AS OF o.ts ON rates.currency = o.currency AND rate > 0;
