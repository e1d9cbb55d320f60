-- pins: CREATE TABLE … AS SELECT: the sink takes the query's columns and its unique key as PRIMARY KEY (an upsert table)
CREATE TABLE orders (id BIGINT, region STRING, amount DOUBLE);
CREATE TABLE region_totals WITH ('topic' = 'totals') AS
SELECT region, COUNT(*) AS n, SUM(amount) AS total FROM orders GROUP BY region;
