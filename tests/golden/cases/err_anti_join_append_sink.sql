-- pins: an anti join updates (a row goes when its first match comes): an append-only sink refuses it
CREATE TABLE orders (order_id BIGINT, customer_id BIGINT, amount INT);
CREATE TABLE vip (customer_id BIGINT, tier STRING);
CREATE TABLE lonely (order_id BIGINT);
INSERT INTO lonely SELECT order_id FROM orders o WHERE NOT EXISTS (SELECT 1 FROM vip v WHERE v.customer_id = o.customer_id);
