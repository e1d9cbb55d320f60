-- pins: CREATE TABLE of a name already taken (without IF NOT EXISTS); caret on the name
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, qty INT);
CREATE TABLE orders (x INT);
