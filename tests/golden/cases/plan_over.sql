-- pins: OVER aggregations (OverAggregate: partition, time order, ROWS / RANGE frame, aggregates; argument expressions computed before it), append-only into an append sink
CREATE TABLE orders (
  order_id BIGINT, region STRING, amount DOUBLE, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
);

CREATE TABLE running (order_id BIGINT, region STRING, last3 DOUBLE, n BIGINT);

INSERT INTO running
SELECT order_id, region, SUM(amount * 2) OVER w, COUNT(*) OVER w
FROM orders
WINDOW w AS (PARTITION BY region ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW);

SELECT order_id, AVG(amount) OVER (PARTITION BY region ORDER BY ts RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW) AS avg_1h
FROM orders WHERE amount > 0;
