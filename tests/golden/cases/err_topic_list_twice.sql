-- pins: a topic list naming a topic twice
CREATE TABLE t (x INT) WITH ('topic' = 'a;b;a');
