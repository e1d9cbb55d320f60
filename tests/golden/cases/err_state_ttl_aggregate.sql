-- pins: table.exec.state.ttl with a group aggregate is refused (eddy expires regular joins' state only), naming the setting
SET 'table.exec.state.ttl' = '1 h';
CREATE TABLE orders (region STRING, amount DOUBLE);
CREATE TABLE totals (region STRING PRIMARY KEY NOT ENFORCED, total DOUBLE);
INSERT INTO totals SELECT region, SUM(amount) FROM orders GROUP BY region;
