-- pins: a duration too long to hold in milliseconds is rejected, not wrapped
SET 'table.exec.mini-batch.allow-latency' = '99999999999999999 d';
