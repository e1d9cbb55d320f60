-- pins: json.fail-on-missing-field and json.ignore-parse-errors cannot both be true (Flink's rule)
CREATE TABLE t (x INT) WITH ('json.ignore-parse-errors' = 'true', 'json.fail-on-missing-field' = 'true');
