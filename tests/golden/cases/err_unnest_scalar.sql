-- pins: UNNEST of a value that is neither an ARRAY nor a MAP
CREATE TABLE orders (order_id BIGINT, items ARRAY<STRING>);
SELECT order_id, x FROM orders CROSS JOIN UNNEST(order_id) AS t(x);
