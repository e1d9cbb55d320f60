-- pins: 'debezium-avro-confluent' without a Schema Registry names the option to set
CREATE TABLE customers (id BIGINT, country STRING) WITH ('format' = 'debezium-avro-confluent');
