-- pins: SET of a key eddy does not know
SET 'execution.checkpointing.intervall' = '10 s';
