-- pins: specific offsets apply to one topic, not to a topic list (Flink's rule)
CREATE TABLE t (x INT) WITH ('topic' = 'a;b', 'scan.startup.mode' = 'specific-offsets', 'scan.startup.specific-offsets' = 'partition:0,offset:1');
