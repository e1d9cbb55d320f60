-- pins: SELECT DISTINCT is a GroupAggregate with no aggregates keyed on the whole select list (upsert into a table keyed the same way; retract for a bare SELECT)
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING);

CREATE TABLE active_users (
  region STRING,
  user_id BIGINT,
  PRIMARY KEY (region, user_id) NOT ENFORCED
);

INSERT INTO active_users
SELECT DISTINCT region, user_id FROM orders;

SELECT DISTINCT UPPER(region) FROM orders;
