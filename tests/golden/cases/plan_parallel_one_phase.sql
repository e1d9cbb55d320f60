-- pins: 'table.optimizer.agg-phase-strategy' = 'ONE_PHASE': the staged GROUP BY ships every row (no LocalGroupAggregate), the next stage runs a plain GroupAggregate
SET 'parallelism.default' = '2';
SET 'table.optimizer.agg-phase-strategy' = 'ONE_PHASE';
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE);
CREATE TABLE by_user (user_id BIGINT PRIMARY KEY NOT ENFORCED, n BIGINT, total DOUBLE);
INSERT INTO by_user SELECT user_id, COUNT(*), SUM(amount) FROM orders GROUP BY user_id;
