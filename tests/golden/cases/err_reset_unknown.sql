-- pins: RESET of a key that is no setting is refused as SET refuses it (a typo never silently does nothing)
SET 'table.exec.mini-batch.size' = '10';
RESET 'table.exec.mini-batch.sise';
