-- pins: SET of a duration key with a value that is not a duration; caret on the value
SET 'execution.checkpointing.interval' = '10 parsecs';
