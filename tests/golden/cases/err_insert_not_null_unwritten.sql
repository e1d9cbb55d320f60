-- pins: INSERT with a column list that leaves out a NOT NULL (primary key) column
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, qty INT);
CREATE TABLE totals (region STRING PRIMARY KEY NOT ENFORCED, total DOUBLE);
INSERT INTO totals (total) SELECT SUM(amount) FROM orders GROUP BY region;
