-- pins: an unknown table gets "did you mean" from the tables and views by edit distance
CREATE TABLE orders (id BIGINT, region STRING);
SELECT * FROM ordres;
