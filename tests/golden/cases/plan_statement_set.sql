-- pins: a statement set is one plan with two sinks whose INSERTs share the orders source (one node, id 0 in both trees)
CREATE TABLE orders (id BIGINT, region STRING, amount DOUBLE);
CREATE TABLE big (id BIGINT, amount DOUBLE);
CREATE TABLE counts (region STRING PRIMARY KEY NOT ENFORCED, n BIGINT);
EXECUTE STATEMENT SET BEGIN
  INSERT INTO big SELECT id, amount FROM orders WHERE amount >= 10;
  INSERT INTO counts SELECT region, COUNT(*) FROM orders GROUP BY region;
END;
