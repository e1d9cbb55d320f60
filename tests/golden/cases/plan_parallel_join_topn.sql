-- pins: a join gets an exchange on both inputs by its keys (a CAST key hashed as an expression); a Top-N after it by its partition, which the join's output already is not
SET 'parallelism.default' = '2';
CREATE TABLE orders (order_id BIGINT, user_id INT, amount DOUBLE);
CREATE TABLE users (id BIGINT PRIMARY KEY NOT ENFORCED, name STRING, region STRING) WITH ('changelog.mode' = 'upsert');
CREATE TABLE top_orders (region STRING, order_id BIGINT, amount DOUBLE, rn BIGINT, PRIMARY KEY (region, rn) NOT ENFORCED)
  WITH ('changelog.mode' = 'upsert');
INSERT INTO top_orders
SELECT region, order_id, amount, rn FROM (
  SELECT u.region, o.order_id, o.amount,
         ROW_NUMBER() OVER (PARTITION BY u.region ORDER BY o.amount DESC) AS rn
  FROM orders o JOIN users u ON o.user_id = u.id)
WHERE rn <= 3;
