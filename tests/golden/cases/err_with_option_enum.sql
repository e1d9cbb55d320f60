-- pins: an enum option with a value outside its set; caret on the value
CREATE TABLE t (x INT) WITH ('format' = 'xml');
