-- pins: Flink's scan.partition.* options are refused by name, with the reason
CREATE TABLE users (id BIGINT, name STRING) WITH ('connector' = 'jdbc', 'url' = 'host=x', 'scan.partition.column' = 'id');
