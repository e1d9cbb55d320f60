-- pins: scan.startup.timestamp-millis without scan.startup.mode 'timestamp'
CREATE TABLE t (x INT) WITH ('scan.startup.timestamp-millis' = '1704067200000');
