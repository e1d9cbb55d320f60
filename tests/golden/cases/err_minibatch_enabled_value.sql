-- pins: 'table.exec.mini-batch.enabled' takes true or false, and a bad value is refused naming the setting
SET 'table.exec.mini-batch.enabled' = 'off please';
