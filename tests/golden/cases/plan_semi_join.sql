-- pins: IN (SELECT …) and EXISTS as LeftSemiJoin (append-only over append inputs), NOT IN and NOT EXISTS as LeftAntiJoin (updating); correlated conjuncts as keys and residual; NOT IN over nullable columns as a NULL-aware residual; a multi-column IN over GROUP BY / HAVING; the left side's unique key kept
CREATE TABLE orders (order_id BIGINT, customer_id BIGINT, amount INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);
CREATE TABLE vip (customer_id BIGINT, tier STRING, lim INT);
CREATE TABLE nn_orders (order_id BIGINT NOT NULL PRIMARY KEY NOT ENFORCED, customer_id BIGINT NOT NULL) WITH ('changelog.mode' = 'upsert');
CREATE TABLE nn_vip (customer_id BIGINT NOT NULL);
CREATE TABLE big_orders (order_id BIGINT PRIMARY KEY NOT ENFORCED, customer_id BIGINT) WITH ('changelog.mode' = 'upsert');
SELECT order_id, amount FROM orders WHERE amount > 10 AND customer_id IN (SELECT customer_id FROM vip WHERE tier = 'gold');
SELECT order_id FROM orders o WHERE EXISTS (SELECT 1 FROM vip v WHERE v.customer_id = o.customer_id AND v.lim >= o.amount);
SELECT order_id FROM orders o WHERE NOT EXISTS (SELECT * FROM vip v WHERE v.customer_id = o.customer_id);
SELECT order_id FROM orders WHERE customer_id NOT IN (SELECT customer_id FROM vip);
INSERT INTO big_orders SELECT order_id, customer_id FROM nn_orders WHERE customer_id NOT IN (SELECT customer_id FROM nn_vip);
SELECT order_id FROM orders WHERE (customer_id, amount) IN (SELECT customer_id, MAX(lim) FROM vip GROUP BY customer_id HAVING COUNT(*) > 1);
