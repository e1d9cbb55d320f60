-- pins: VALUES rows whose column has no common type
SELECT * FROM (VALUES (1), ('a'));
