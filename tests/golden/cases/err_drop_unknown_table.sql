-- pins: DROP TABLE of a table that does not exist (without IF EXISTS)
DROP TABLE orders;
