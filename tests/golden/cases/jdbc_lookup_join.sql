-- A lookup join against a jdbc (PostgreSQL) table, with Flink's cache options: one input, the table read at run time.
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, proc AS PROCTIME());
CREATE TABLE users (id BIGINT PRIMARY KEY NOT ENFORCED, name STRING, tier INT)
  WITH ('connector' = 'jdbc', 'url' = 'jdbc:postgresql://127.0.0.1/shop', 'lookup.cache' = 'PARTIAL',
        'lookup.partial-cache.max-rows' = '10000', 'lookup.partial-cache.expire-after-write' = '10 min');
EXPLAIN SELECT o.order_id, u.name FROM orders AS o JOIN users FOR SYSTEM_TIME AS OF o.proc AS u ON o.user_id = u.id AND u.tier > 0;
EXPLAIN SELECT o.order_id, u.name, u.tier FROM orders AS o LEFT JOIN users FOR SYSTEM_TIME AS OF o.proc AS u ON o.user_id = u.id;
CREATE TABLE users_lru (id BIGINT PRIMARY KEY NOT ENFORCED, name STRING)
  WITH ('connector' = 'jdbc', 'url' = 'jdbc:postgresql://127.0.0.1/shop', 'lookup.cache' = 'PARTIAL',
        'lookup.partial-cache.max-rows' = '500', 'lookup.partial-cache.expire-after-access' = '30 s');
EXPLAIN SELECT o.order_id, u.name FROM orders AS o JOIN users_lru FOR SYSTEM_TIME AS OF o.proc AS u ON o.user_id = u.id;
