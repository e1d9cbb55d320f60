-- pins: FROM a table that was never created
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, qty INT);
SELECT region FROM order_events;
