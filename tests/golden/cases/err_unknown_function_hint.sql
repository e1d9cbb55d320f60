-- pins: an unknown function gets "did you mean" from the function table
CREATE TABLE orders (id BIGINT, region STRING);
SELECT UPPPER(region) FROM orders;
