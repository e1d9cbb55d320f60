-- pins: METADATA FROM a key Kafka tables do not have; caret on the key
CREATE TABLE t (x INT, h STRING METADATA FROM 'headers');
