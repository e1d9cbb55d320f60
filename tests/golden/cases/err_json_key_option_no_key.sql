-- pins: key.json.* needs key.format 'json' and key columns
CREATE TABLE t (x INT) WITH ('key.json.timestamp-format.standard' = 'SQL');
