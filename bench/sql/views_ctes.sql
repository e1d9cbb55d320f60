-- views_ctes.sql — a 200-line script of views, CTEs, a statement set and VALUES:
-- the compile-time figure of bench/README.md (compile_bench bench/sql/views_ctes.sql).
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, region STRING, amount DOUBLE, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND);
CREATE TABLE users (user_id BIGINT, name STRING, tier STRING, PRIMARY KEY (user_id) NOT ENFORCED)
  WITH ('changelog.mode' = 'upsert');
CREATE TABLE payments (order_id BIGINT, method STRING, paid DOUBLE);
CREATE TABLE regions (region STRING, country STRING);
CREATE VIEW orders_eu AS
  SELECT order_id, user_id, amount, ts FROM orders WHERE region = 'eu';
CREATE VIEW orders_us AS
  SELECT order_id, user_id, amount, ts FROM orders WHERE region = 'us';
CREATE VIEW orders_ap AS
  SELECT order_id, user_id, amount, ts FROM orders WHERE region = 'ap';
CREATE VIEW orders_sa AS
  SELECT order_id, user_id, amount, ts FROM orders WHERE region = 'sa';
CREATE VIEW orders_af AS
  SELECT order_id, user_id, amount, ts FROM orders WHERE region = 'af';
CREATE VIEW orders_me AS
  SELECT order_id, user_id, amount, ts FROM orders WHERE region = 'me';
CREATE VIEW big_orders (oid, uid, value) AS
  SELECT order_id, user_id, amount FROM orders WHERE amount >= 100;
CREATE VIEW paid_orders AS
  SELECT o.order_id, o.region, o.amount, p.method, p.paid
  FROM orders o JOIN payments p ON o.order_id = p.order_id;
CREATE VIEW eu_big AS SELECT order_id, amount FROM orders_eu WHERE amount > 50;
CREATE TABLE out_0 (k STRING PRIMARY KEY NOT ENFORCED, n BIGINT, total DOUBLE);
INSERT INTO out_0
WITH base AS (
       SELECT region, amount FROM orders WHERE amount > 0),
     paid (r, a) AS (
       SELECT region, paid FROM paid_orders WHERE method <> 'card0'),
     both_ AS (
       SELECT region, amount FROM base
       UNION ALL
       SELECT r, a FROM paid)
SELECT region, COUNT(*), SUM(amount)
FROM both_
GROUP BY region;
CREATE TABLE out_1 (k STRING PRIMARY KEY NOT ENFORCED, n BIGINT, total DOUBLE);
INSERT INTO out_1
WITH base AS (
       SELECT region, amount FROM orders WHERE amount > 10),
     paid (r, a) AS (
       SELECT region, paid FROM paid_orders WHERE method <> 'card1'),
     both_ AS (
       SELECT region, amount FROM base
       UNION ALL
       SELECT r, a FROM paid)
SELECT region, COUNT(*), SUM(amount)
FROM both_
GROUP BY region;
CREATE TABLE out_2 (k STRING PRIMARY KEY NOT ENFORCED, n BIGINT, total DOUBLE);
INSERT INTO out_2
WITH base AS (
       SELECT region, amount FROM orders WHERE amount > 20),
     paid (r, a) AS (
       SELECT region, paid FROM paid_orders WHERE method <> 'card2'),
     both_ AS (
       SELECT region, amount FROM base
       UNION ALL
       SELECT r, a FROM paid)
SELECT region, COUNT(*), SUM(amount)
FROM both_
GROUP BY region;
CREATE TABLE out_3 (k STRING PRIMARY KEY NOT ENFORCED, n BIGINT, total DOUBLE);
INSERT INTO out_3
WITH base AS (
       SELECT region, amount FROM orders WHERE amount > 30),
     paid (r, a) AS (
       SELECT region, paid FROM paid_orders WHERE method <> 'card3'),
     both_ AS (
       SELECT region, amount FROM base
       UNION ALL
       SELECT r, a FROM paid)
SELECT region, COUNT(*), SUM(amount)
FROM both_
GROUP BY region;
CREATE TABLE out_4 (k STRING PRIMARY KEY NOT ENFORCED, n BIGINT, total DOUBLE);
INSERT INTO out_4
WITH base AS (
       SELECT region, amount FROM orders WHERE amount > 40),
     paid (r, a) AS (
       SELECT region, paid FROM paid_orders WHERE method <> 'card4'),
     both_ AS (
       SELECT region, amount FROM base
       UNION ALL
       SELECT r, a FROM paid)
SELECT region, COUNT(*), SUM(amount)
FROM both_
GROUP BY region;
CREATE TABLE out_5 (k STRING PRIMARY KEY NOT ENFORCED, n BIGINT, total DOUBLE);
INSERT INTO out_5
WITH base AS (
       SELECT region, amount FROM orders WHERE amount > 50),
     paid (r, a) AS (
       SELECT region, paid FROM paid_orders WHERE method <> 'card5'),
     both_ AS (
       SELECT region, amount FROM base
       UNION ALL
       SELECT r, a FROM paid)
SELECT region, COUNT(*), SUM(amount)
FROM both_
GROUP BY region;
CREATE TABLE out_6 (k STRING PRIMARY KEY NOT ENFORCED, n BIGINT, total DOUBLE);
INSERT INTO out_6
WITH base AS (
       SELECT region, amount FROM orders WHERE amount > 60),
     paid (r, a) AS (
       SELECT region, paid FROM paid_orders WHERE method <> 'card6'),
     both_ AS (
       SELECT region, amount FROM base
       UNION ALL
       SELECT r, a FROM paid)
SELECT region, COUNT(*), SUM(amount)
FROM both_
GROUP BY region;
CREATE TABLE out_7 (k STRING PRIMARY KEY NOT ENFORCED, n BIGINT, total DOUBLE);
INSERT INTO out_7
WITH base AS (
       SELECT region, amount FROM orders WHERE amount > 70),
     paid (r, a) AS (
       SELECT region, paid FROM paid_orders WHERE method <> 'card7'),
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
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 138;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 139;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 140;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 141;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 142;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 143;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 144;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 145;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 146;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 147;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 148;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 149;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 150;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 151;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 152;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 153;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 154;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 155;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 156;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 157;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 158;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 159;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 160;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 161;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 162;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 163;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 164;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 165;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 166;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 167;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 168;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 169;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 170;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 171;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 172;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 173;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 174;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 175;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 176;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 177;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 178;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 179;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 180;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 181;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 182;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 183;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 184;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 185;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 186;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 187;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 188;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 189;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 190;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 191;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 192;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 193;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 194;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 195;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 196;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 197;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 198;
SELECT u.name, o.amount FROM orders_us o JOIN users u ON o.user_id = u.user_id WHERE o.amount > 199;
