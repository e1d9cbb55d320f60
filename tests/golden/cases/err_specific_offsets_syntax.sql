-- pins: scan.startup.specific-offsets that is not 'partition:N,offset:M;…' names the option and the entry
CREATE TABLE t (x INT) WITH ('scan.startup.mode' = 'specific-offsets', 'scan.startup.specific-offsets' = 'partition:0,offset:42;p1:300');
