-- pins: Flink's Kafka and JSON options are accepted: json.* and key./value.json.*, key.fields-prefix, a topic list, specific offsets, group id, sink partitioner and delivery guarantee; EXPLAIN shows the topics
SET 'table.exec.sink.not-null-enforcer' = 'DROP';
CREATE TABLE src (k_id BIGINT, id BIGINT, v DECIMAL(10, 2), ts TIMESTAMP(3), PRIMARY KEY (k_id) NOT ENFORCED) WITH (
  'connector' = 'kafka',
  'topic' = 'events.a; events.b',
  'key.format' = 'json',
  'value.format' = 'json',
  'key.fields-prefix' = 'k_',
  'value.fields-include' = 'EXCEPT_KEY',
  'changelog.mode' = 'append',
  'value.json.ignore-parse-errors' = 'true',
  'key.json.fail-on-missing-field' = 'true',
  'json.timestamp-format.standard' = 'ISO-8601',
  'properties.group.id' = 'team-a',
  'scan.startup.mode' = 'group-offsets'
);
CREATE TABLE one (id BIGINT, v DECIMAL(10, 2)) WITH (
  'topic' = 'events.c',
  'scan.startup.mode' = 'specific-offsets',
  'scan.startup.specific-offsets' = 'partition:0,offset:42;partition:1,offset:300'
);
CREATE TABLE pat (id BIGINT, v DECIMAL(10, 2)) WITH ('topic-pattern' = 'events\.[0-9]+', 'scan.startup.mode' = 'timestamp',
  'scan.startup.timestamp-millis' = '1704067200000');
CREATE TABLE dst (id BIGINT, v DECIMAL(10, 2) NOT NULL) WITH (
  'connector' = 'kafka',
  'topic' = 'out',
  'format' = 'json',
  'json.encode.decimal-as-plain-number' = 'true',
  'sink.partitioner' = 'fixed',
  'sink.delivery-guarantee' = 'at-least-once'
);
INSERT INTO dst SELECT id, v FROM src UNION ALL SELECT id, v FROM one UNION ALL SELECT id, v FROM pat;
