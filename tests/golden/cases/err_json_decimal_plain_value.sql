-- pins: json.encode.decimal-as-plain-number takes true or false
CREATE TABLE t (x DECIMAL(10, 2)) WITH ('json.encode.decimal-as-plain-number' = 'plain');
