-- pins: Top-N with and without the rank number (Rank: partition, order, range, the key partition + rn or the input's), over an append-only and an updating input
CREATE TABLE sales (region STRING, user_id BIGINT, amount DOUBLE);

CREATE TABLE top_users (
  region STRING, rn BIGINT, user_id BIGINT, total DOUBLE,
  PRIMARY KEY (region, rn) NOT ENFORCED
);

INSERT INTO top_users
SELECT region, rn, user_id, total FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY region ORDER BY total DESC) AS rn
  FROM (SELECT region, user_id, SUM(amount) AS total FROM sales GROUP BY region, user_id)
) WHERE rn <= 3;

SELECT region, user_id, amount FROM (
  SELECT *, ROW_NUMBER() OVER w AS rn FROM sales WHERE amount > 0
  WINDOW w AS (PARTITION BY region ORDER BY amount DESC, user_id NULLS LAST)
) WHERE rn BETWEEN 2 AND 5;
