-- pins: 'topic' and 'topic-pattern' together are refused (Flink's rule)
CREATE TABLE t (x INT) WITH ('topic' = 'a', 'topic-pattern' = 'a.*');
