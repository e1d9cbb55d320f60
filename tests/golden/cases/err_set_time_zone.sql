-- pins: SET 'table.local-time-zone' to a zone that does not exist; the message says what is accepted, caret on the value
SET 'table.local-time-zone' = 'Europe/Atlantis';
