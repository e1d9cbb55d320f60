-- pins: COUNT(DISTINCT x) and SUM(DISTINCT x) next to plain aggregates, BIGINT NOT NULL for the counts
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING);

CREATE TABLE region_stats (
  region STRING PRIMARY KEY NOT ENFORCED,
  buyers BIGINT,
  orders BIGINT,
  distinct_amounts DOUBLE
);

INSERT INTO region_stats
SELECT region, COUNT(DISTINCT user_id), COUNT(order_id), SUM(DISTINCT amount)
FROM orders
GROUP BY region;
