-- pins: a metadata column declared with a type its key cannot be read as; caret on the type
CREATE TABLE t (x INT, p STRING METADATA FROM 'partition');
