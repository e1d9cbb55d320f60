-- pins: a temporal join against a table without an event-time attribute is refused
CREATE TABLE orders (order_id BIGINT, currency STRING, amount DOUBLE, ts TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND);
CREATE TABLE rates (currency STRING PRIMARY KEY NOT ENFORCED, rate DOUBLE) WITH ('changelog.mode' = 'upsert');
SELECT o.order_id, r.rate FROM orders o JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.currency = r.currency;
