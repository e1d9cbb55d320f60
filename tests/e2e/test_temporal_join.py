"""e2e/temporal_join — orders priced at the exchange rate valid at their
time: an event-time temporal join (FOR SYSTEM_TIME AS OF) against an upsert
rates topic, over Kafka, with a kill -9 in the middle.

Rates (keyed by currency, 2 partitions) get a new version every half second
for one currency or another; orders (2 partitions) name a currency, one of
them never rated.  Event times rise in every partition with less disorder
than the 5 s watermark delay, so no row is late and the result is the same
for every order of arrival.  It is computed here in Python: each order with
the latest version of its currency at or before the order's time (an order
before its currency's first version, or of the unrated currency, is left
out: an inner join), into an upsert table keyed by order_id.

  1. the records up to a time split; the job runs until some rows are out
     and a checkpoint holds join state, then is killed with SIGKILL;
  2. the records after the split; `eddy run --bounded` restarts from the
     state file, reads to the topics' ends and ends with a final watermark,
     which emits the orders still waiting for it.
"""
import datetime
import os
import random

from eddyharness import Broker, Job, Rec, check_table, fold_upsert, main, produce, read_topic, run_bounded, step, ukey, wait_for, write_file
from eddytest import checkpointed

SQL = """
SET 'execution.checkpointing.interval' = '300 ms';
CREATE TABLE orders (order_id BIGINT, currency STRING, amount DOUBLE, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND);
CREATE TABLE rates (currency STRING PRIMARY KEY NOT ENFORCED, rate DOUBLE, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('changelog.mode' = 'upsert');
CREATE TABLE priced (order_id BIGINT PRIMARY KEY NOT ENFORCED, currency STRING, rate DOUBLE, rate_ts TIMESTAMP(3));
INSERT INTO priced
SELECT o.order_id, o.currency, r.rate, r.ts
FROM orders o JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.currency = r.currency;
"""

BASE = datetime.datetime(2024, 1, 1)
CURRENCIES = ["C%d" % i for i in range(8)]
SPAN_MS = 300000
SPLIT_MS = SPAN_MS // 2


def fmt(ms):
    t = BASE + datetime.timedelta(milliseconds=ms)
    return t.strftime("%Y-%m-%d %H:%M:%S.") + "%03d" % (ms % 1000)


def world():
    """Rates and orders: (partition, key, value, time) each, every
    partition in time order."""
    rng = random.Random(7)
    rates, orders = [], []
    for t in range(1000, SPAN_MS, 500):
        c = rng.choice(CURRENCIES)
        ms = t + rng.randrange(2000)
        rates.append((CURRENCIES.index(c) % 2, {"currency": c}, {"currency": c, "rate": round(rng.uniform(0.5, 2.0), 4), "ts": fmt(ms)}, ms))
    for i, t in enumerate(range(0, SPAN_MS, 100)):
        c = rng.choice(CURRENCIES + ["XXX"])
        ms = t + rng.randrange(2000)
        orders.append((i % 2, None, {"order_id": i, "currency": c, "amount": 1.0, "ts": fmt(ms)}, ms))
    for recs in (rates, orders):
        recs.sort(key=lambda r: r[3])
    return rates, orders


def expected(rates, orders):
    versions = {}
    for _, _, v, ms in rates:
        versions.setdefault(v["currency"], []).append((ms, v))
    out = {}
    for _, _, o, ms in orders:
        valid = [(vt, v) for vt, v in versions.get(o["currency"], []) if vt <= ms]
        if not valid:
            continue
        # the latest version at or before the order (a later record of the same time replaces it)
        vt, v = max(valid, key=lambda x: x[0])
        same = [x for x in valid if x[0] == vt]
        v = same[-1][1]
        out[ukey(order_id=o["order_id"])] = {"order_id": o["order_id"], "currency": o["currency"], "rate": v["rate"], "rate_ts": vt}
    return out


def records(recs, first):
    return [Rec(key=k, value=v, partition=p) for p, k, v, ms in recs if (ms < SPLIT_MS) == first]


def canon_ts(text):
    if text is None:
        return None
    f = "%Y-%m-%d %H:%M:%S.%f" if "." in text else "%Y-%m-%d %H:%M:%S"
    return round((datetime.datetime.strptime(text, f) - BASE).total_seconds() * 1000)


def table_of(bs):
    t = {}
    for row in fold_upsert(read_topic(bs, "priced")).values():
        row = dict(row)
        row["rate_ts"] = canon_ts(row["rate_ts"])
        t[ukey(order_id=row["order_id"])] = row
    return t


def test(eddy, workdir):
    sql = write_file(workdir, "tj.sql", SQL)
    state = os.path.join(workdir, "tj.db")
    rates, orders = world()
    want = expected(rates, orders)
    step("%d rate versions, %d orders, %d priced orders expected" % (len(rates), len(orders), len(want)))
    with Broker(eddy, workdir, {"orders": 2, "rates": 2, "priced": 1}) as b:
        bs = b.bootstrap
        produce(bs, "rates", records(rates, True))
        produce(bs, "orders", records(orders, True))
        job = Job(eddy, bs, sql, workdir, "tj", state=state)
        try:
            wait_for("some priced orders", lambda: len(table_of(bs)) >= 300, timeout=60, job=job)
            wait_for("a checkpoint with join state", lambda: checkpointed(state), timeout=30, job=job)
            job.kill()
            step("killed with %d rows in the table" % len(table_of(bs)))
        finally:
            job.kill()
        produce(bs, "rates", records(rates, False))
        produce(bs, "orders", records(orders, False))
        run_bounded(eddy, bs, sql, cwd=workdir, state=state, timeout=90)
        check_table("priced after kill -9 and a bounded restart", table_of(bs), want)


main(test)
