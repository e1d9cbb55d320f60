-- pins: FOR SYSTEM_TIME AS OF outside a join is refused
CREATE TABLE rates (currency STRING PRIMARY KEY NOT ENFORCED, rate DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('changelog.mode' = 'upsert');
SELECT * FROM rates FOR SYSTEM_TIME AS OF ts;
