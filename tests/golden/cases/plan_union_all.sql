-- pins: UNION ALL: several inputs to one operator (":-" for all but the last), a branch of another type CAST to the common type, a union under GROUP BY, the same table read twice, UNION (distinct) as a grouping on every column, an updating branch
CREATE TABLE orders_eu (order_id BIGINT, amount INT, region STRING);
CREATE TABLE orders_us (order_id BIGINT, amount DOUBLE, region STRING);
CREATE TABLE per_region (region STRING PRIMARY KEY NOT ENFORCED, n BIGINT);

SELECT region, amount FROM orders_eu
UNION ALL
SELECT region, amount FROM orders_us WHERE amount > 1;

INSERT INTO per_region
SELECT region, COUNT(*) FROM (
  SELECT region FROM orders_eu UNION ALL SELECT region FROM orders_us UNION ALL SELECT region FROM orders_eu
) GROUP BY region;

SELECT region FROM orders_eu UNION SELECT region FROM orders_us;

SELECT region, COUNT(*) AS n FROM orders_eu GROUP BY region
UNION ALL
SELECT region, 0 FROM orders_us;
