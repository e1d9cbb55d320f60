-- pins: a GROUP BY into a 'retract' table without a key: every operator above the source emits -U/+U (changelog retract)
CREATE TABLE orders (order_id BIGINT, amount DOUBLE, region STRING);

CREATE TABLE region_totals (
  region STRING,
  total DOUBLE
) WITH ('changelog.mode' = 'retract');

INSERT INTO region_totals
SELECT region, SUM(amount)
FROM orders
GROUP BY region;
