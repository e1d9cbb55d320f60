-- pins: a column that is neither grouped nor aggregated
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, qty INT);
SELECT region, amount, COUNT(*) FROM orders GROUP BY region;
