-- pins: a WITH option eddy does not know; caret on the key
CREATE TABLE t (x INT) WITH ('topic' = 't', 'colour' = 'red');
