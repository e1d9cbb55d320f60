-- Top-N over an aggregate: the top 3 users by sales per region (issue 13).
-- GROUP BY region, user_id (~100k users) feeds ROW_NUMBER() per region;
-- the sink is an upsert table keyed by (region, rn).
CREATE TABLE orders_raw (
  order_id BIGINT,
  user_id  BIGINT,
  amount   DOUBLE,
  region   STRING,
  ts       TIMESTAMP_LTZ(3) METADATA FROM 'timestamp'
) WITH ('scan.startup.mode' = 'earliest-offset');

CREATE TABLE top_users (
  region  STRING,
  rn      BIGINT,
  user_id BIGINT,
  total   DOUBLE,
  PRIMARY KEY (region, rn) NOT ENFORCED
);

INSERT INTO top_users
SELECT region, rn, user_id, total FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY region ORDER BY total DESC) AS rn
  FROM (SELECT region, user_id, SUM(amount) AS total FROM orders_raw GROUP BY region, user_id)
) WHERE rn <= 3;
