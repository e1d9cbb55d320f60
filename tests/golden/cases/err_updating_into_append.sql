-- pins: a GROUP BY (updating) into a table without PRIMARY KEY or changelog.mode (append-only)
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, qty INT);
CREATE TABLE region_counts (region STRING, n BIGINT);
INSERT INTO region_counts SELECT region, COUNT(*) FROM orders GROUP BY region;
