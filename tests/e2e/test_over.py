"""e2e/over — OVER aggregations over Kafka, checked against results
computed here from the records.

Orders {order_id, region, amount, ts} with event times that repeat and
advance in steps (one partition, produced in time order so that no row is
late), read by a bounded run, whose end is a final watermark:

  * SUM and COUNT over ROWS BETWEEN 2 PRECEDING AND CURRENT ROW per region
    (rows of equal time in arrival order);
  * SUM and MAX over RANGE BETWEEN INTERVAL '10' SECOND PRECEDING AND
    CURRENT ROW per region (rows of equal time share the result);
  * a running COUNT(*) per region (ORDER BY ts alone: RANGE UNBOUNDED).

Each sink is an append table; its rows, as a multiset, must equal the
expected rows exactly (sums of small integers are exact doubles).
"""
import collections
import random

from eddyharness import Broker, Rec, canon, check, main, produce, read_topic, step
from eddytest import check_multiset, fold_append, run_job

SQL = """
CREATE TABLE orders (
  order_id BIGINT, region STRING, amount DOUBLE, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('scan.startup.mode' = 'earliest-offset');

CREATE TABLE by_rows (order_id BIGINT, s DOUBLE, n BIGINT);
CREATE TABLE by_range (order_id BIGINT, s DOUBLE, m DOUBLE);
CREATE TABLE running (order_id BIGINT, n BIGINT);

INSERT INTO by_rows
SELECT order_id, SUM(amount) OVER w, COUNT(*) OVER w FROM orders
WINDOW w AS (PARTITION BY region ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW);

INSERT INTO by_range
SELECT order_id, SUM(amount) OVER w, MAX(amount) OVER w FROM orders
WINDOW w AS (PARTITION BY region ORDER BY ts RANGE BETWEEN INTERVAL '10' SECOND PRECEDING AND CURRENT ROW);

INSERT INTO running
SELECT order_id, COUNT(*) OVER (PARTITION BY region ORDER BY ts) FROM orders;
"""

N = 2000


def records():
    rng = random.Random(5)
    out, t = [], 0
    for i in range(N):
        t += rng.choice([0, 0, 1000, 2500, 7000])   # equal times, and steps across the 10 s range
        out.append({"order_id": i + 1, "region": rng.choice(["eu", "us", "apac"]), "amount": float(rng.randrange(1, 100)),
                    "ts_ms": t})
    return out


def ts_text(ms):
    s = ms // 1000
    return "2024-01-01 %02d:%02d:%02d.%03d" % (s // 3600, s // 60 % 60, s % 60, ms % 1000)


def test(eddy, workdir):
    rows = records()
    per = collections.defaultdict(list)
    for r in rows:
        per[r["region"]].append(r)
    exp_rows, exp_range, exp_running = [], [], []
    for rs in per.values():
        for i, r in enumerate(rs):
            frame = rs[max(0, i - 2):i + 1]
            exp_rows.append({"order_id": r["order_id"], "s": sum(x["amount"] for x in frame), "n": len(frame)})
            inrange = [x for x in rs if r["ts_ms"] - 10000 <= x["ts_ms"] <= r["ts_ms"]]
            exp_range.append({"order_id": r["order_id"], "s": sum(x["amount"] for x in inrange),
                              "m": max(x["amount"] for x in inrange)})
            exp_running.append({"order_id": r["order_id"], "n": sum(1 for x in rs if x["ts_ms"] <= r["ts_ms"])})
    with Broker(eddy, workdir, {"orders": 1}) as b:
        produce(b.bootstrap, "orders", [Rec(None, {"order_id": r["order_id"], "region": r["region"], "amount": r["amount"],
                                                   "ts": ts_text(r["ts_ms"])}) for r in rows])
        step("produced %d orders over %d s of event time" % (N, rows[-1]["ts_ms"] // 1000))
        run_job(eddy, b.bootstrap, SQL, workdir, "over")
        for sink, exp in (("by_rows", exp_rows), ("by_range", exp_range), ("running", exp_running)):
            got = collections.Counter(canon(r) for r in fold_append(read_topic(b.bootstrap, sink)))
            check(sum(got.values()) == N, "%s holds %d rows, expected one per order (%d)" % (sink, sum(got.values()), N))
            check_multiset(sink, got, exp)
            step("%s: %d rows equal to the ones computed here" % (sink, N))


if __name__ == "__main__":
    main(test)
