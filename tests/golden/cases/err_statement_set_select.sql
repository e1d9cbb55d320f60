-- pins: only INSERTs belong in a statement set
BEGIN STATEMENT SET;
SELECT 1;
END;
