-- pins: CROSS JOIN UNNEST of an ARRAY of ROW: an Unnest node that passes the changelog through, nested column types in the schemas
CREATE TABLE orders (
  order_id BIGINT,
  customer ROW<id BIGINT, tier STRING>,
  items    ARRAY<ROW<sku STRING, qty INT NOT NULL>>,
  attrs    MAP<STRING, STRING>
);
CREATE TABLE per_sku (sku STRING PRIMARY KEY NOT ENFORCED, units BIGINT, tier STRING);

INSERT INTO per_sku
SELECT i.sku, SUM(i.qty), MAX(o.customer.tier)
FROM orders AS o CROSS JOIN UNNEST(o.items) AS i(sku, qty)
WHERE o.attrs['channel'] = 'web'
GROUP BY i.sku;
