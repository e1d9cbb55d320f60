-- pins: 'format' = 'debezium-avro-confluent' is a retract source like debezium-json (its registry from 'debezium-avro-confluent.url'); a GROUP BY over it retracts
CREATE TABLE customers (id BIGINT, country STRING, balance DOUBLE, PRIMARY KEY (id) NOT ENFORCED)
  WITH ('topic' = 'dbserver1.public.customers', 'format' = 'debezium-avro-confluent', 'debezium-avro-confluent.url' = 'http://127.0.0.1:8081');
CREATE TABLE per_country (country STRING PRIMARY KEY NOT ENFORCED, n BIGINT, total DOUBLE);
EXPLAIN INSERT INTO per_country SELECT country, COUNT(*), SUM(balance) FROM customers GROUP BY country;
