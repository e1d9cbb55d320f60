-- pins: a name that two columns of the FROM item carry (a subquery selecting it twice)
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, qty INT);
SELECT region FROM (SELECT region, region FROM orders);
