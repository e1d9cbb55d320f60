-- An interval join of two event streams: payments (topic `pays`) matched
-- with the authorisation (topic `auths`) of the same order at most 10 s
-- before.  bench/run.sh produces N/2 orders into each with
-- `eddy gen orders --event-step '1 ms'` (order_id 1..N/2, record i at
-- 2024-01-01 + i ms in both), so every payment meets its authorisation and
-- each side's rows stay in state only until the watermark (5 s behind)
-- passes what the other side can still match.
CREATE TABLE auths (
  order_id BIGINT,
  user_id  BIGINT,
  amount   DOUBLE,
  region   STRING,
  ts       TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH ('scan.startup.mode' = 'earliest-offset');

CREATE TABLE pays (
  order_id BIGINT,
  user_id  BIGINT,
  amount   DOUBLE,
  region   STRING,
  ts       TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH ('scan.startup.mode' = 'earliest-offset');

CREATE TABLE matched (
  order_id BIGINT,
  amount   DOUBLE,
  auth_ts  TIMESTAMP_LTZ(3),
  pay_ts   TIMESTAMP_LTZ(3)
);

INSERT INTO matched
SELECT p.order_id, p.amount, a.ts, p.ts
FROM pays p JOIN auths a
  ON p.order_id = a.order_id AND p.ts BETWEEN a.ts AND a.ts + INTERVAL '10' SECOND;
