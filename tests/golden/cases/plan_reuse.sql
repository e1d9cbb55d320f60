-- pins: a sub-plan written twice in one statement is computed once (table.optimizer.reuse-sub-plan-enabled, reuse-source-enabled):
-- Nexmark q5's shape — one HOP window aggregation over a view, used by both sides of a join — has one source, one Calc and one
-- window aggregate feeding both sides; the group aggregate above one side and the join keep their own state; with both settings
-- 'false' every use is planned on its own.
CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '4' SECOND);
CREATE VIEW b AS SELECT auction, price, ts FROM bids WHERE price > 0;
CREATE TABLE hot (auction BIGINT, num BIGINT) WITH ('changelog.mode' = 'retract');
EXPLAIN INSERT INTO hot
SELECT a.auction, a.num FROM (
  SELECT auction, COUNT(*) AS num, window_start AS ws, window_end AS we
  FROM TABLE(HOP(TABLE b, DESCRIPTOR(ts), INTERVAL '2' SECOND, INTERVAL '10' SECOND)) GROUP BY auction, window_start, window_end
) a JOIN (
  SELECT MAX(num) AS maxn, ws, we FROM (
    SELECT COUNT(*) AS num, window_start AS ws, window_end AS we
    FROM TABLE(HOP(TABLE b, DESCRIPTOR(ts), INTERVAL '2' SECOND, INTERVAL '10' SECOND)) GROUP BY auction, window_start, window_end
  ) GROUP BY ws, we
) m ON a.ws = m.ws AND a.we = m.we AND a.num >= m.maxn;
SET 'table.optimizer.reuse-sub-plan-enabled' = 'false';
SET 'table.optimizer.reuse-source-enabled' = 'false';
EXPLAIN INSERT INTO hot SELECT x.auction, y.num FROM (SELECT auction FROM b) x JOIN (SELECT auction, price AS num FROM b) y ON x.auction = y.auction;
