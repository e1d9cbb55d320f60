-- pins: the same WITH option twice; caret on the second
CREATE TABLE t (x INT) WITH ('topic' = 'a', 'topic' = 'b');
