-- pins: an aggregate without GROUP BY gets an exchange that sends everything to one task (distribution single); DISTINCT ships rows, not partials
SET 'parallelism.default' = '2';
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING);
CREATE TABLE totals (n BIGINT, users BIGINT) WITH ('changelog.mode' = 'retract');
INSERT INTO totals SELECT COUNT(*), COUNT(DISTINCT user_id) FROM orders;
