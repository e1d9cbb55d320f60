-- pins: a view's query is checked when it is created, with the statement's positions
CREATE TABLE orders (id BIGINT, region STRING);
CREATE VIEW v AS SELECT id, amount FROM orders;
