-- pins: a UNION ALL of an aggregate (a stage later) and raw rows: the raw rows change hands too, by the whole row, so that no stage reads its own output
SET 'parallelism.default' = '2';
CREATE TABLE orders (order_id BIGINT, amount DOUBLE, region STRING);
CREATE TABLE out_t (region STRING, n BIGINT) WITH ('changelog.mode' = 'retract');
INSERT INTO out_t SELECT region, COUNT(*) FROM orders GROUP BY region UNION ALL SELECT region, order_id FROM orders;
