-- The reference job in Avro with a Schema Registry (`eddy demo --avro`).
--
-- orders_raw has no CREATE TABLE: it is known from the registry, as in
-- Confluent Cloud.  Its columns come from the latest schema registered
-- under subject 'orders_raw-value' (`eddy gen orders --format
-- avro-confluent` registers one), its format is 'avro-confluent'.  Records
-- written with older or newer versions of that schema are resolved against
-- it.  The summary is written as Avro too: its key and value schemas are
-- registered under 'orders_summary-key' and 'orders_summary-value'.
--
-- The registry comes from the session: `eddy run --registry URL`, the
-- EDDY_REGISTRY environment variable, or SET 'avro-confluent.url' = '…'.
--   eddy broker                                  # line 2: the registry URL
--   eddy gen orders --topic orders_raw --format avro-confluent --registry URL
--   eddy run --registry URL sql/orders_avro.sql

CREATE TABLE orders_summary (
  region STRING PRIMARY KEY NOT ENFORCED,
  total_orders BIGINT,
  total_sales DOUBLE,
  avg_order_value DOUBLE
) WITH (
  'changelog.mode' = 'upsert',
  'format' = 'avro-confluent'
);

INSERT INTO orders_summary
SELECT region, COUNT(*) AS total_orders, SUM(amount) AS total_sales,
       ROUND(AVG(amount), 2) AS avg_order_value
FROM orders_raw
GROUP BY region;
