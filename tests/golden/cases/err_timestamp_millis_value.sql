-- pins: scan.startup.timestamp-millis must be a whole number
CREATE TABLE t (x INT) WITH ('scan.startup.mode' = 'timestamp', 'scan.startup.timestamp-millis' = 'yesterday');
