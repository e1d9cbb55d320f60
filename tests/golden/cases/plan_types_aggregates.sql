-- pins: aggregate result types (Flink): AVG(INT) is INT, SUM(INT) INT, SUM(DECIMAL(10, 2)) DECIMAL(38, 2), AVG(DECIMAL(10, 2)) DECIMAL(38, 6), ROUND of that DECIMAL(35, 2), COUNT BIGINT NOT NULL, MIN/MAX keep the type
CREATE TABLE orders (
  order_id BIGINT,
  region STRING,
  qty INT,
  price DECIMAL(10, 2),
  amount DOUBLE
);

SELECT region,
       AVG(qty) AS avg_qty,
       SUM(qty) AS sum_qty,
       SUM(price) AS sum_price,
       AVG(price) AS avg_price,
       ROUND(AVG(price), 2) AS avg_price_2,
       COUNT(*) AS n,
       COUNT(qty) AS n_qty,
       MIN(price) AS min_price,
       MAX(amount) AS max_amount,
       SUM(amount) AS sum_amount,
       SUM(order_id) AS sum_id
FROM orders
GROUP BY region;
