-- pins: an upsert table fed by updates that have no unique key (the group key is projected away)
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, qty INT);
CREATE TABLE counts (n BIGINT PRIMARY KEY NOT ENFORCED);
INSERT INTO counts SELECT COUNT(*) FROM orders GROUP BY region;
