-- pins: a column neither grouped nor aggregated inside an expression is rejected (not a crash)
CREATE TABLE orders (order_id BIGINT, amount DOUBLE, region STRING);
SELECT region, COUNT(*) FROM orders GROUP BY region HAVING amount + 1 > 2;
