-- pins: INSERT INTO t (cols) in any order; unlisted nullable columns are written as NULL; the sink key still maps onto the query key
CREATE TABLE orders (order_id BIGINT, amount DOUBLE, region STRING);

CREATE TABLE order_copy (id BIGINT, region STRING, note STRING, amount DOUBLE);
INSERT INTO order_copy (amount, id) SELECT amount, order_id FROM orders;

CREATE TABLE region_totals (
  n BIGINT,
  note STRING,
  region STRING,
  total DOUBLE,
  PRIMARY KEY (region) NOT ENFORCED
);
INSERT INTO region_totals (total, region, n)
SELECT SUM(amount), region, COUNT(*) FROM orders GROUP BY region;
