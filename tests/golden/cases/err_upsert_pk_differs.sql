-- pins: an upsert table keyed on region fed by a query whose unique key is (region, user_id)
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, qty INT);
CREATE TABLE region_users (region STRING, user_id BIGINT, n BIGINT, PRIMARY KEY (region) NOT ENFORCED);
INSERT INTO region_users SELECT region, user_id, COUNT(*) FROM orders GROUP BY region, user_id;
