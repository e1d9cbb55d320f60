-- Enrichment (a regular join): each order with its user's name and tier,
-- users being an upsert table of 100k users (bench/run.sh produces the
-- topic `users`, keyed by user_id).  INNER JOIN: every order's user_id is
-- in 1..100000, so every order comes out exactly once, whichever topic is
-- read first (an order whose user has not arrived yet waits in the join's
-- state).  Both sides stay in the join's state: 100k users and every order.
CREATE TABLE orders_raw (
  order_id BIGINT,
  user_id  BIGINT,
  amount   DOUBLE,
  region   STRING
) WITH ('scan.startup.mode' = 'earliest-offset');

CREATE TABLE users (
  user_id BIGINT PRIMARY KEY NOT ENFORCED,
  name    STRING,
  tier    STRING
) WITH ('changelog.mode' = 'upsert', 'scan.startup.mode' = 'earliest-offset');

CREATE TABLE orders_enriched (
  order_id BIGINT,
  amount   DOUBLE,
  region   STRING,
  name     STRING,
  tier     STRING
) WITH ('changelog.mode' = 'retract');

INSERT INTO orders_enriched
SELECT o.order_id, o.amount, o.region, u.name, u.tier
FROM orders_raw o JOIN users u ON o.user_id = u.user_id;
