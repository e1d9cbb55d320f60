-- pins: names are case-sensitive; a column differing only in case gets a did-you-mean hint
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, qty INT);
SELECT Region FROM orders;
