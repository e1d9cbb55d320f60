-- pins: HAVING turns the aggregate retract (the filter needs -U to delete a group that stops passing) while the calc above it stays upsert
CREATE TABLE orders (order_id BIGINT, amount DOUBLE, region STRING);

CREATE TABLE busy_regions (
  region STRING PRIMARY KEY NOT ENFORCED,
  n BIGINT,
  total DOUBLE
);

INSERT INTO busy_regions
SELECT region, COUNT(*) AS n, SUM(amount) AS total
FROM orders
GROUP BY region
HAVING COUNT(*) > 10 AND SUM(amount) >= 100.0;
