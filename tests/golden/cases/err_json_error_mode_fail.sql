-- pins: error.mode 'fail' contradicts json.ignore-parse-errors 'true'
CREATE TABLE t (x INT) WITH ('error.mode' = 'fail', 'value.json.ignore-parse-errors' = 'true');
