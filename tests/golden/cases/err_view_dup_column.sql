-- pins: a view whose query gives two columns one name is refused, naming the column
CREATE TABLE orders (id BIGINT, region STRING, amount DOUBLE);
CREATE VIEW v AS SELECT id AS x, amount AS x FROM orders;
