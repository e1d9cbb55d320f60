"""e2e/union — one job reading two topics: UNION ALL of orders_eu (amount
INT, 2 partitions) and orders_us (amount DOUBLE, 3 partitions), grouped by
region into an upsert table.

Checks what the many-source driver promises: one consumer reads every
partition of both topics, each record reaches the branch of its topic (a
record of orders_eu counted once, with its INT amount widened to DOUBLE), a
checkpoint holds the next offset of every partition of both topics, and a
restart resumes both topics where they stopped (a second bounded run over
more records of both counts each record exactly once).  The expected table
is computed here from the produced records.
"""
import collections
import os
import sqlite3

from eddyharness import Broker, Rec, check, check_table, fold_upsert, main, produce, read_topic, run_bounded, step, ukey, write_file

SQL = """
CREATE TABLE orders_eu (order_id BIGINT, amount INT, region STRING)
  WITH ('scan.startup.mode' = 'earliest-offset');
CREATE TABLE orders_us (order_id BIGINT, amount DOUBLE, region STRING)
  WITH ('scan.startup.mode' = 'earliest-offset');
CREATE TABLE per_region (
  region STRING PRIMARY KEY NOT ENFORCED,
  n      BIGINT,
  total  DOUBLE
) WITH ('changelog.mode' = 'upsert');

INSERT INTO per_region
SELECT region, COUNT(*) AS n, SUM(amount) AS total
FROM (
  SELECT region, amount FROM orders_eu
  UNION ALL
  SELECT region, amount FROM orders_us WHERE amount > 0
)
GROUP BY region;
"""

REGIONS = ["north", "south", "east", "west"]


def orders(first, count, us):
    """count orders with ids from first; US amounts are halves, some not
    positive (filtered in their branch)."""
    out = []
    for i in range(first, first + count):
        region = REGIONS[(i * 7) % len(REGIONS)]
        amount = (i % 50) / 2.0 - 2.0 if us else i % 40 + 1
        out.append({"order_id": i, "amount": amount, "region": region})
    return out


def expected(eu, us):
    n, total = collections.Counter(), collections.Counter()
    for o in eu + [o for o in us if o["amount"] > 0]:
        n[o["region"]] += 1
        total[o["region"]] += o["amount"]
    return {ukey(region=r): {"region": r, "n": n[r], "total": float(total[r])} for r in n}


def test(eddy, workdir):
    sql = write_file(workdir, "union.sql", SQL)
    state = os.path.join(workdir, "union.db")
    with Broker(eddy, workdir, {"orders_eu": 2, "orders_us": 3, "per_region": 1}) as b:
        bs = b.bootstrap
        eu, us = orders(0, 300, False), orders(1000, 400, True)
        produce(bs, "orders_eu", [Rec(value=o, partition=o["order_id"] % 2) for o in eu])
        produce(bs, "orders_us", [Rec(value=o, partition=o["order_id"] % 3) for o in us])
        run_bounded(eddy, bs, sql, workdir, state=state)
        check_table("per_region after the first run", fold_upsert(read_topic(bs, "per_region")), expected(eu, us))

        db = sqlite3.connect(state)
        offsets = sorted(db.execute("SELECT topic, partition, next_offset FROM eddy_offsets"))
        db.close()
        step("checkpointed offsets: %s" % offsets)
        want = [("orders_eu", p, sum(1 for o in eu if o["order_id"] % 2 == p)) for p in range(2)] + \
               [("orders_us", p, sum(1 for o in us if o["order_id"] % 3 == p)) for p in range(3)]
        check(offsets == want, "the checkpoint holds %s, expected %s" % (offsets, want))

        # More of both topics; the restart must read only what is new.
        eu2, us2 = orders(300, 200, False), orders(1400, 100, True)
        produce(bs, "orders_eu", [Rec(value=o, partition=o["order_id"] % 2) for o in eu2])
        produce(bs, "orders_us", [Rec(value=o, partition=o["order_id"] % 3) for o in us2])
        run_bounded(eddy, bs, sql, workdir, state=state)
        check_table("per_region after the restart", fold_upsert(read_topic(bs, "per_region")), expected(eu + eu2, us + us2))

        # A mini-batch latency of centuries holds the updates until the end
        # of the input: the wait is computed without overflowing.
        long_sql = write_file(workdir, "union_long_latency.sql",
                              "SET 'table.exec.mini-batch.allow-latency' = '9223372036854775807 ms';\n" + SQL)
        run_bounded(eddy, bs, long_sql, workdir, state=os.path.join(workdir, "union_long.db"))
        check_table("per_region after the long-latency run", fold_upsert(read_topic(bs, "per_region")), expected(eu + eu2, us + us2))


main(test)
