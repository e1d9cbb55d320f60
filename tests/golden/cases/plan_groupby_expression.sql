-- pins: GROUP BY expressions: the pre-aggregate Calc computes them, the select list refers to them, the key follows them (also a CASE key and an expression aggregated as $f1)
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING);

SELECT UPPER(region) AS r, user_id % 10 AS bucket, COUNT(*) AS n
FROM orders
GROUP BY UPPER(region), user_id % 10;

SELECT CASE WHEN amount > 100 THEN 'big' ELSE 'small' END AS size,
       COUNT(*) AS n, AVG(amount + 1) AS a, SUM(amount + 1) AS s
FROM orders
GROUP BY CASE WHEN amount > 100 THEN 'big' ELSE 'small' END;
