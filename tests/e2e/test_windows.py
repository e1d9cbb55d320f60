"""e2e/windows — event-time windows over Kafka, with a kill -9 while
windows are open.

The dashboard query: orders and sales per region per minute (TUMBLE of
1 minute over the order's event time, WATERMARK 5 s behind), into an upsert
table keyed by (region, window_start, window_end).  Orders go to four
partitions with event times that rise with a disorder below the delay, so no
order is late whatever order the partitions are read in.

  1. half of the orders; the job runs until some windows have fired, then
     is killed with SIGKILL (open windows are in its last checkpoint, or in
     records it will read again);
  2. the rest of the orders; the job restarts from its state file and runs
     until every window the final watermark closes has been written;
  3. orders far behind the watermark: late, they change nothing, are
     counted, and land in the table's 'late-rows.topic' with headers.

The expected table is computed here: the watermark is the minimum over the
partitions of their largest event time minus 5 s; a window [s, s + 1 min)
has fired when s + 1 min - 1 ms <= it.
"""
import collections
import datetime
import json
import math
import os
import random

from eddyharness import Broker, Job, Rec, check, check_table, fold_upsert, main, produce, read_topic, step, ukey, wait_for, write_file

SQL = """
SET 'execution.checkpointing.interval' = '500 ms';
CREATE TABLE orders (
  order_id BIGINT, amount DOUBLE, region STRING, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH ('late-rows.topic' = 'late_orders');
CREATE TABLE sales_per_minute (
  region STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3), orders BIGINT, sales DOUBLE,
  PRIMARY KEY (region, window_start, window_end) NOT ENFORCED
);
INSERT INTO sales_per_minute
SELECT region, window_start, window_end, COUNT(*), SUM(amount)
FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
GROUP BY region, window_start, window_end;
"""

REGIONS = ["north", "south", "east", "west"]
BASE = datetime.datetime(2024, 1, 1)
PARTS = 4
DELAY_MS = 5000


def fmt(ms):
    t = BASE + datetime.timedelta(milliseconds=ms)
    return t.strftime("%Y-%m-%d %H:%M:%S.") + "%03d" % (ms % 1000)


def orders(first, count, start_ms):
    """count orders per partition, event time rising 250 ms a row with up
    to 3 s of disorder.  eddy's SUM of DOUBLEs is exact (the correctly
    rounded sum, whatever the order): math.fsum here."""
    rng = random.Random(first)
    out = []
    for p in range(PARTS):
        t = start_ms + p * 37
        for i in range(count):
            oid = first + p * count + i
            t += 250
            ts = t - rng.randrange(3000)
            out.append((p, {"order_id": oid, "amount": rng.randrange(1, 10000) / 100.0,
                            "region": REGIONS[oid % len(REGIONS)], "ts": fmt(ts)}, ts))
    return out


def expected(rows):
    top = collections.defaultdict(lambda: -1 << 62)
    for p, _, ts in rows:
        top[p] = max(top[p], ts)
    wm = min(top[p] for p in range(PARTS)) - DELAY_MS
    n, s = collections.Counter(), collections.defaultdict(list)
    for _, o, ts in rows:
        start = ts - ts % 60000
        if start + 60000 - 1 <= wm:
            k = (o["region"], start)
            n[k] += 1
            s[k].append(o["amount"])
    table = {}
    for (region, start), c in n.items():
        key = ukey(region=region, window_start=canon_ts(fmt(start)), window_end=canon_ts(fmt(start + 60000)))
        table[key] = {"region": region, "window_start": canon_ts(fmt(start)), "window_end": canon_ts(fmt(start + 60000)),
                      "orders": c, "sales": math.fsum(s[(region, start)])}
    return table, wm


def canon_ts(text):
    """'2024-01-01 00:01:00' and '2024-01-01 00:01:00.000' are the same time."""
    return text[:-4] if text.endswith(".000") else text


def table_of(bs):
    t = {}
    for row in fold_upsert(read_topic(bs, "sales_per_minute")).values():
        row = dict(row)
        row["window_start"] = canon_ts(row["window_start"])
        row["window_end"] = canon_ts(row["window_end"])
        t[ukey(region=row["region"], window_start=row["window_start"], window_end=row["window_end"])] = row
    return t


def test(eddy, workdir):
    sql = write_file(workdir, "windows.sql", SQL)
    state = os.path.join(workdir, "windows.db")
    with Broker(eddy, workdir, {"orders": PARTS, "sales_per_minute": 1, "late_orders": 1}) as b:
        bs = b.bootstrap
        first = orders(0, 1500, 0)
        produce(bs, "orders", [Rec(value=o, partition=p) for p, o, _ in first])
        job = Job(eddy, bs, sql, workdir, "windows", state=state)
        try:
            want1, _ = expected(first)
            wait_for("some windows in sales_per_minute", lambda: len(table_of(bs)) >= len(want1) // 2, timeout=60, job=job)
            job.kill()
            step("killed with %d rows in the table" % len(table_of(bs)))

            second = orders(100000, 1500, 1500 * 250)
            produce(bs, "orders", [Rec(value=o, partition=p) for p, o, _ in second])
            want, wm = expected(first + second)
            step("%d windows expected, final watermark %s" % (len(want), fmt(wm)))
            job = Job(eddy, bs, sql, workdir, "windows", state=state)
            wait_for("every closed window", lambda: len(table_of(bs)) >= len(want), timeout=90, job=job)
            check_table("sales_per_minute after kill -9 and restart", table_of(bs), want)

            # Far behind the watermark: late.
            late = [{"order_id": 900000 + i, "amount": 1.0, "region": "north", "ts": fmt(i * 1000)} for i in range(PARTS)]
            produce(bs, "orders", [Rec(value=o, partition=i) for i, o in enumerate(late)])
            wait_for("the late rows in late_orders", lambda: len(read_topic(bs, "late_orders")) >= len(late), timeout=30, job=job)
            rc, err = job.term()
            check(rc == 0, "the job stopped with %s:\n%s" % (rc, err[-2000:]))
        finally:
            job.kill()
        check_table("sales_per_minute after the late rows", table_of(bs), want)
        msgs = read_topic(bs, "late_orders")
        check(len(msgs) == len(late), "late_orders holds %d records, expected %d" % (len(msgs), len(late)))
        got_ids = sorted(json.loads(m.value)["order_id"] for m in msgs)
        check(got_ids == [o["order_id"] for o in late], "late_orders holds orders %s" % got_ids)
        for m in msgs:
            h = dict((k, v.decode() if v else v) for k, v in m.headers)
            check(h.get("eddy.late.reason") == "every window of the row had fired", "late record headers: %s" % h)
            check(h.get("eddy.late.watermark", "").startswith(fmt(wm)[:16]),
                  "the late record's watermark header %r is not the final watermark %s" % (h.get("eddy.late.watermark"), fmt(wm)))
        check("late" in err, "the stop line does not count late rows:\n%s" % err[-2000:])


main(test)
