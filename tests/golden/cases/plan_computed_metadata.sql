-- pins: computed columns (expanded into the Calc, usable in WHERE) and METADATA columns (timestamp, partition VIRTUAL, offset with the key defaulting to the column name, topic, key) on source and sink
CREATE TABLE orders (
  order_id BIGINT,
  amount DOUBLE,
  qty INT,
  region STRING,
  total AS amount * qty,
  is_big AS amount > 100,
  ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
  part INT METADATA FROM 'partition' VIRTUAL,
  `offset` BIGINT METADATA VIRTUAL,
  src_topic STRING METADATA FROM 'topic',
  raw_key BYTES METADATA FROM 'key'
);

SELECT order_id, total, is_big, ts, part, `offset`, src_topic, raw_key
FROM orders
WHERE is_big;

CREATE TABLE order_totals (
  order_id BIGINT,
  total DOUBLE,
  ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp'
);

INSERT INTO order_totals SELECT order_id, total, ts FROM orders;
