-- pins: a script with only DDL and session statements compiles and says there is nothing to plan (JSON: an empty list)
CREATE TABLE orders (order_id BIGINT, amount DOUBLE, region STRING);
SET 'execution.checkpointing.interval' = '5 s';
SET 'properties.bootstrap.servers' = 'localhost:9092';
SHOW TABLES;
DESCRIBE orders;
DROP TABLE orders;
