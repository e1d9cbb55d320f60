-- pins: a parse error quotes the offending token: near "region" (GROUP without BY)
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, qty INT);
SELECT region, COUNT(*) FROM orders GROUP region;
