-- pins: a json.* option on a table whose formats are not JSON names the option
CREATE TABLE t (x INT) WITH ('format' = 'avro', 'json.ignore-parse-errors' = 'true');
