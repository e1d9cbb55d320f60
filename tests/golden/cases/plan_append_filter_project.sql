-- pins: a pure filter + projection into an append-only table stays append end to end (one Calc, no aggregate)
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING);

CREATE TABLE big_orders (
  order_id BIGINT,
  doubled DOUBLE,
  region STRING
) WITH ('changelog.mode' = 'append');

INSERT INTO big_orders
SELECT order_id, amount * 2 AS doubled, UPPER(region) AS region
FROM orders
WHERE amount > 100 AND region <> 'test';
