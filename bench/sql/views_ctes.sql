-- views_ctes.sql — a 200-line job script as people write one: tables, views over
-- views, INSERTs with CTEs, a statement set, VALUES.  The compile-time figure of
-- bench/README.md: compile_bench bench/sql/views_ctes.sql
CREATE TABLE orders (
  order_id BIGINT,
  user_id  BIGINT,
  region   STRING,
  amount   DOUBLE,
  ts       TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
);
CREATE TABLE users (
  user_id BIGINT,
  name    STRING,
  tier    STRING,
  PRIMARY KEY (user_id) NOT ENFORCED
) WITH ('changelog.mode' = 'upsert');
CREATE TABLE payments (order_id BIGINT, method STRING, paid DOUBLE);

CREATE VIEW orders_eu AS
  SELECT order_id, user_id, amount, ts
  FROM orders
  WHERE region = 'eu';

CREATE VIEW orders_us AS
  SELECT order_id, user_id, amount, ts
  FROM orders
  WHERE region = 'us';

CREATE VIEW orders_ap AS
  SELECT order_id, user_id, amount, ts
  FROM orders
  WHERE region = 'ap';

CREATE VIEW big_orders (oid, uid, value) AS
  SELECT order_id, user_id, amount FROM orders WHERE amount >= 100;

CREATE VIEW paid_orders AS
  SELECT o.order_id, o.region, o.amount, p.method, p.paid
  FROM orders o
  JOIN payments p ON o.order_id = p.order_id;

CREATE VIEW eu_big AS
  SELECT order_id, amount FROM orders_eu WHERE amount > 50;

CREATE TABLE out_0 (
  k     STRING PRIMARY KEY NOT ENFORCED,
  n     BIGINT,
  total DOUBLE
);
INSERT INTO out_0
WITH base AS (
       SELECT region, amount
       FROM orders
       WHERE amount > 0),
     paid (r, a) AS (
       SELECT region, paid
       FROM paid_orders
       WHERE method <> 'card0'),
     both_ AS (
       SELECT region, amount FROM base
       UNION ALL
       SELECT r, a FROM paid)
SELECT region, COUNT(*), SUM(amount)
FROM both_
GROUP BY region;

CREATE TABLE out_1 (
  k     STRING PRIMARY KEY NOT ENFORCED,
  n     BIGINT,
  total DOUBLE
);
INSERT INTO out_1
WITH base AS (
       SELECT region, amount
       FROM orders
       WHERE amount > 10),
     paid (r, a) AS (
       SELECT region, paid
       FROM paid_orders
       WHERE method <> 'card1'),
     both_ AS (
       SELECT region, amount FROM base
       UNION ALL
       SELECT r, a FROM paid)
SELECT region, COUNT(*), SUM(amount)
FROM both_
GROUP BY region;

CREATE TABLE out_2 (
  k     STRING PRIMARY KEY NOT ENFORCED,
  n     BIGINT,
  total DOUBLE
);
INSERT INTO out_2
WITH base AS (
       SELECT region, amount
       FROM orders
       WHERE amount > 20),
     paid (r, a) AS (
       SELECT region, paid
       FROM paid_orders
       WHERE method <> 'card2'),
     both_ AS (
       SELECT region, amount FROM base
       UNION ALL
       SELECT r, a FROM paid)
SELECT region, COUNT(*), SUM(amount)
FROM both_
GROUP BY region;

CREATE TABLE out_3 (
  k     STRING PRIMARY KEY NOT ENFORCED,
  n     BIGINT,
  total DOUBLE
);
INSERT INTO out_3
WITH base AS (
       SELECT region, amount
       FROM orders
       WHERE amount > 30),
     paid (r, a) AS (
       SELECT region, paid
       FROM paid_orders
       WHERE method <> 'card3'),
     both_ AS (
       SELECT region, amount FROM base
       UNION ALL
       SELECT r, a FROM paid)
SELECT region, COUNT(*), SUM(amount)
FROM both_
GROUP BY region;

CREATE TABLE out_4 (
  k     STRING PRIMARY KEY NOT ENFORCED,
  n     BIGINT,
  total DOUBLE
);
INSERT INTO out_4
WITH base AS (
       SELECT region, amount
       FROM orders
       WHERE amount > 40),
     paid (r, a) AS (
       SELECT region, paid
       FROM paid_orders
       WHERE method <> 'card4'),
     both_ AS (
       SELECT region, amount FROM base
       UNION ALL
       SELECT r, a FROM paid)
SELECT region, COUNT(*), SUM(amount)
FROM both_
GROUP BY region;

CREATE TABLE out_5 (
  k     STRING PRIMARY KEY NOT ENFORCED,
  n     BIGINT,
  total DOUBLE
);
INSERT INTO out_5
WITH base AS (
       SELECT region, amount
       FROM orders
       WHERE amount > 50),
     paid (r, a) AS (
       SELECT region, paid
       FROM paid_orders
       WHERE method <> 'card5'),
     both_ AS (
       SELECT region, amount FROM base
       UNION ALL
       SELECT r, a FROM paid)
SELECT region, COUNT(*), SUM(amount)
FROM both_
GROUP BY region;

CREATE TABLE labels (id INT, label STRING);
INSERT INTO labels VALUES (1, 'one'), (2, 'two'), (3, 'three');

CREATE TABLE big_ids (oid BIGINT);
CREATE TABLE eu_ids (order_id BIGINT, amount DOUBLE);
EXECUTE STATEMENT SET BEGIN
  INSERT INTO big_ids SELECT oid FROM big_orders;
  INSERT INTO eu_ids SELECT order_id, amount FROM eu_big;
END;

CREATE TABLE enriched_0 (name STRING, tier STRING, amount DOUBLE) WITH ('changelog.mode' = 'retract');
INSERT INTO enriched_0
SELECT u.name, u.tier, o.amount
FROM orders_us o
JOIN users u ON o.user_id = u.user_id
WHERE o.amount > 0;







