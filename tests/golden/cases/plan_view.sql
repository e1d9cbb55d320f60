-- pins: a view expands into the plan where it is used, in FROM and in a join; a view over a view with a column list
CREATE TABLE orders (id BIGINT, region STRING, amount DOUBLE);
CREATE VIEW eu_orders AS SELECT id, amount FROM orders WHERE region = 'eu';
CREATE VIEW eu_big (order_no, value) AS SELECT id, amount FROM eu_orders WHERE amount > 10;
SELECT order_no, value FROM eu_big;
SELECT e.id, o.region FROM eu_orders e JOIN orders o ON e.id = o.id;
