-- pins: scan.startup.specific-offsets without scan.startup.mode 'specific-offsets'
CREATE TABLE t (x INT) WITH ('scan.startup.specific-offsets' = 'partition:0,offset:42');
