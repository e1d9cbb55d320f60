-- pins: scan.startup.mode 'specific-offsets' without the offsets
CREATE TABLE t (x INT) WITH ('scan.startup.mode' = 'specific-offsets');
