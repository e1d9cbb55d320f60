-- pins: [ ] on a value that is neither an ARRAY nor a MAP
CREATE TABLE orders (order_id BIGINT, customer ROW<id BIGINT, tier STRING>);
SELECT customer[1] FROM orders;
