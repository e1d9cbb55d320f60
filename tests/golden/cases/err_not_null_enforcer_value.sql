-- pins: SET 'table.exec.sink.not-null-enforcer' takes ERROR or DROP
SET 'table.exec.sink.not-null-enforcer' = 'IGNORE';
