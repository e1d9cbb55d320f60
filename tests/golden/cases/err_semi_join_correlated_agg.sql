-- pins: a correlated subquery with GROUP BY is refused by name
CREATE TABLE orders (order_id BIGINT, customer_id BIGINT, amount INT);
CREATE TABLE vip (customer_id BIGINT, tier STRING, lim INT);
SELECT order_id FROM orders o WHERE amount IN (SELECT MAX(lim) FROM vip v WHERE v.customer_id = o.customer_id GROUP BY tier);
