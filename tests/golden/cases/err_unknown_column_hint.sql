-- pins: an unknown column gets "did you mean" from the columns in scope
CREATE TABLE orders (id BIGINT, region STRING);
SELECT regoin FROM orders;
