-- pins: Flink-style WITH options: 'connector', 'topic', 'format', 'key.format'/'value.format', 'scan.startup.mode', 'error.mode', 'properties.*' and how EXPLAIN shows them
CREATE TABLE src (id BIGINT, name STRING, v DOUBLE) WITH (
  'connector' = 'kafka',
  'topic' = 'raw.events',
  'format' = 'avro-confluent',
  'avro-confluent.url' = 'http://registry:8081',
  'scan.startup.mode' = 'latest-offset',
  'properties.group.id' = 'g1',
  'error.mode' = 'skip',
  'error.dead-letter-topic' = 'raw.events.dlq'
);

CREATE TABLE dst (id BIGINT, total DOUBLE, PRIMARY KEY (id) NOT ENFORCED) WITH (
  'connector' = 'upsert-kafka',
  'topic' = 'totals',
  'key.format' = 'raw',
  'value.format' = 'json',
  'value.fields-include' = 'EXCEPT_KEY'
);

INSERT INTO dst SELECT id, SUM(v) FROM src GROUP BY id;
