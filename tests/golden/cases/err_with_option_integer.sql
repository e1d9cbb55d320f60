-- pins: an integer option given '10abc' (no atoi: the whole value must be a number)
CREATE TABLE t (x INT) WITH ('scan.startup.mode' = 'timestamp', 'scan.startup.timestamp-millis' = '10abc');
