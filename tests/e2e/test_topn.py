"""e2e/topn — Top-N and deduplication over Kafka, checked against results
computed here from the records.

Records {order_id, user_id, amount, region, ts} (seeded, with repeated
order ids, NULL regions and equal amounts) go to topic `orders` (3
partitions for the Top-N, which does not depend on arrival order; the
deduplications read `orders1`, one partition, where arrival order is the
produce order).  One bounded job each:

  * top 3 users by sales per region (ROW_NUMBER over a GROUP BY, ties
    broken by user_id; NULL regions filtered, region being a key column)
    into an upsert table keyed by (region, rn);
  * the same without the rank number into an upsert table keyed by the
    aggregate's key (region, user_id);
  * the top 2 orders by amount per region of an append-only input, with
    the rank number, into a retract table (its folded multiset);
  * deduplication keeping the first row per order_id on processing time
    (append-only: every order id once, the first produced);
  * deduplication keeping the last row per order_id on event time (upsert
    on order_id: the row with the latest ts, the later one on a tie).
"""
import collections
import math
import random

from eddyharness import Broker, Rec, check, check_table, fold_upsert, main, read_topic, step, ukey
from eddytest import check_multiset, fold_append, fold_retract, run_job

SOURCE = """
CREATE TABLE {topic} (
  order_id BIGINT,
  user_id  BIGINT,
  amount   DOUBLE,
  region   STRING,
  ts       TIMESTAMP(3),
  pt AS PROCTIME(),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH ('scan.startup.mode' = 'earliest-offset');
"""

TOP_USERS = SOURCE.format(topic="orders") + """
CREATE TABLE top_users (
  region STRING, rn BIGINT, user_id BIGINT, total DOUBLE,
  PRIMARY KEY (region, rn) NOT ENFORCED
);
INSERT INTO top_users
SELECT region, rn, user_id, total FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY region ORDER BY total DESC, user_id) AS rn
  FROM (SELECT region, user_id, SUM(amount) AS total FROM orders WHERE region IS NOT NULL GROUP BY region, user_id)
) WHERE rn <= 3;
"""

TOP_USERS_NORANK = SOURCE.format(topic="orders") + """
CREATE TABLE top_users_norank (
  region STRING, user_id BIGINT, total DOUBLE,
  PRIMARY KEY (region, user_id) NOT ENFORCED
);
INSERT INTO top_users_norank
SELECT region, user_id, total FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY region ORDER BY total DESC, user_id) AS rn
  FROM (SELECT region, user_id, SUM(amount) AS total FROM orders WHERE region IS NOT NULL GROUP BY region, user_id)
) WHERE rn <= 3;
"""

TOP_ORDERS = SOURCE.format(topic="orders1") + """
CREATE TABLE top_orders (order_id BIGINT, region STRING, amount DOUBLE, rn BIGINT)
WITH ('changelog.mode' = 'retract');
INSERT INTO top_orders
SELECT order_id, region, amount, rn FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY region ORDER BY amount DESC) AS rn FROM orders1
) WHERE rn <= 2;
"""

FIRST_ORDERS = SOURCE.format(topic="orders1") + """
CREATE TABLE first_orders (order_id BIGINT, user_id BIGINT, amount DOUBLE);
INSERT INTO first_orders
SELECT order_id, user_id, amount FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY order_id ORDER BY pt ASC) AS rn FROM orders1
) WHERE rn = 1;
"""

LAST_ORDERS = SOURCE.format(topic="orders1") + """
CREATE TABLE last_orders (order_id BIGINT PRIMARY KEY NOT ENFORCED, user_id BIGINT, amount DOUBLE);
INSERT INTO last_orders
SELECT order_id, user_id, amount FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY order_id ORDER BY ts DESC) AS rn FROM orders1
) WHERE rn = 1;
"""

N = 3000


def records(seed):
    rng = random.Random(seed)
    out = []
    for i in range(N):
        region = rng.choice(["eu", "us", "apac", None])
        secs = 1704067200 + rng.randrange(0, 600)
        ts = "2024-01-01 00:%02d:%02d.%03d" % ((secs - 1704067200) // 60, secs % 60, rng.randrange(0, 1000))
        row = {"order_id": rng.randrange(1, 800), "user_id": rng.randrange(1, 60),
               "amount": rng.choice([1.5, 2.25, 10.0, 99.99, float(rng.randrange(1, 500))]), "region": region, "ts": ts}
        out.append(row)
    return out


def expected_top_users(rows, with_rank):
    sums = collections.defaultdict(list)
    for r in rows:
        if r["region"] is not None:   # a primary key column: the query filters NULL regions out
            sums[(r["region"], r["user_id"])].append(r["amount"])
    per = collections.defaultdict(list)
    for (region, user), a in sums.items():
        per[region].append((math.fsum(a), user))
    exp = {}
    for region, us in per.items():
        for i, (total, user) in enumerate(sorted(us, key=lambda t: (-t[0], t[1]))[:3]):
            if with_rank:
                exp[ukey(region=region, rn=i + 1)] = {"region": region, "rn": i + 1, "user_id": user, "total": total}
            else:
                exp[ukey(region=region, user_id=user)] = {"region": region, "user_id": user, "total": total}
    return exp


def expected_top_orders(rows):
    per = collections.defaultdict(list)
    for r in rows:
        per[r["region"]].append(r)   # arrival order: a stable sort keeps it among equal amounts
    out = []
    for region, rs in per.items():
        for i, r in enumerate(sorted(rs, key=lambda r: -r["amount"])[:2]):
            out.append({"order_id": r["order_id"], "region": region, "amount": r["amount"], "rn": i + 1})
    return out


def test(eddy, workdir):
    rows = records(7)
    # one partition for the sinks whose order matters (a retract changelog, the first rows in order)
    with Broker(eddy, workdir, {"orders": 3, "orders1": 1, "top_orders": 1, "first_orders": 1}) as b:
        from eddyharness import produce
        produce(b.bootstrap, "orders", [Rec({"order_id": r["order_id"]}, r) for r in rows])
        produce(b.bootstrap, "orders1", [Rec(None, r) for r in rows])
        step("produced %d orders into orders (3 partitions) and orders1 (1 partition)" % len(rows))

        run_job(eddy, b.bootstrap, TOP_USERS, workdir, "top_users")
        check_table("top_users", fold_upsert(read_topic(b.bootstrap, "top_users")), expected_top_users(rows, True))
        run_job(eddy, b.bootstrap, TOP_USERS_NORANK, workdir, "top_users_norank")
        check_table("top_users_norank", fold_upsert(read_topic(b.bootstrap, "top_users_norank")),
                    expected_top_users(rows, False))

        run_job(eddy, b.bootstrap, TOP_ORDERS, workdir, "top_orders")
        check_multiset("top_orders (retract)", fold_retract(read_topic(b.bootstrap, "top_orders")), expected_top_orders(rows))

        run_job(eddy, b.bootstrap, FIRST_ORDERS, workdir, "first_orders")
        got = fold_append(read_topic(b.bootstrap, "first_orders"))
        first = {}
        for r in rows:
            first.setdefault(r["order_id"], {"order_id": r["order_id"], "user_id": r["user_id"], "amount": r["amount"]})
        check(got == list(first.values()), "first_orders: %d rows, expected the %d first rows per order id in order; first "
              "difference at %s" % (len(got), len(first),
                                    next((i for i, (x, y) in enumerate(zip(got, first.values())) if x != y), "the end")))
        step("first_orders: every order id once, its first row, in produce order (%d rows)" % len(got))

        run_job(eddy, b.bootstrap, LAST_ORDERS, workdir, "last_orders")
        last = {}
        for r in rows:
            k = r["order_id"]
            if k not in last or r["ts"] >= last[k]["ts"]:
                last[k] = r
        exp = {ukey(order_id=k): {"order_id": k, "user_id": r["user_id"], "amount": r["amount"]} for k, r in last.items()}
        check_table("last_orders", fold_upsert(read_topic(b.bootstrap, "last_orders")), exp)


if __name__ == "__main__":
    main(test)
