-- pins: IN (SELECT …) under OR is refused by name (eddy runs it as a semi join: a condition of its own)
CREATE TABLE orders (order_id BIGINT, customer_id BIGINT, amount INT);
CREATE TABLE vip (customer_id BIGINT, tier STRING);
SELECT order_id FROM orders WHERE amount > 100 OR customer_id IN (SELECT customer_id FROM vip);
