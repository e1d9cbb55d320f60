-- pins: a field a ROW column does not have, named with the ROW's type
CREATE TABLE orders (order_id BIGINT, customer ROW<id BIGINT, tier STRING>);
SELECT order_id, customer.region FROM orders;
