-- pins: FILTER (WHERE …) on an OVER aggregate is refused, as Flink refuses it
CREATE TABLE orders (order_id BIGINT, amount DOUBLE, region STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);
SELECT order_id,
       SUM(amount) FILTER (WHERE amount > 0) OVER (PARTITION BY region ORDER BY ts) AS running
FROM orders;
