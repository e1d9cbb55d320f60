-- pins: a boolean json option with a value that is not true/false names the option
CREATE TABLE t (x INT) WITH ('json.ignore-parse-errors' = 'yes');
