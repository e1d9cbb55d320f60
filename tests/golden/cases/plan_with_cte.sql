-- pins: WITH: CTEs expand where used (a later CTE reads an earlier one), in a SELECT and in INSERT … WITH
CREATE TABLE orders (id BIGINT, region STRING, amount DOUBLE);
CREATE TABLE per_region (region STRING PRIMARY KEY NOT ENFORCED, n BIGINT);
WITH big AS (SELECT id, region, amount FROM orders WHERE amount >= 10),
     eu (i, a) AS (SELECT id, amount FROM big WHERE region = 'eu')
SELECT i, a FROM eu;
INSERT INTO per_region
WITH r AS (SELECT region FROM orders WHERE amount > 0)
SELECT region, COUNT(*) FROM r GROUP BY region;
