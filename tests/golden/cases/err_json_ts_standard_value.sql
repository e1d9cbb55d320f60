-- pins: json.timestamp-format.standard takes 'SQL' or 'ISO-8601'
CREATE TABLE t (x TIMESTAMP(3)) WITH ('json.timestamp-format.standard' = 'RFC-3339');
