-- pins: settings below their minimum or too large to hold are rejected, naming the option
SET 'table.exec.mini-batch.size' = '0';
