-- pins: an OVER aggregation over an updating input (Nexmark q6's shape: the winning bid per auction, then the average of each seller's last 11): OverAggregate ordered by a column's value, every row kept, a retract stream into a retract sink
CREATE TABLE bids (auction BIGINT, seller BIGINT, price BIGINT, ts TIMESTAMP(3));

CREATE TABLE seller_avg (seller BIGINT, auction BIGINT, avg_price BIGINT) WITH ('changelog.mode' = 'retract');

INSERT INTO seller_avg
SELECT seller, auction, AVG(final) OVER (PARTITION BY seller ORDER BY t ROWS BETWEEN 10 PRECEDING AND CURRENT ROW)
FROM (SELECT auction, seller, MAX(price) AS final, MAX(ts) AS t FROM bids GROUP BY auction, seller);
