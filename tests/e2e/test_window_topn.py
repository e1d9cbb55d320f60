"""e2e/window_topn — window Top-N and window deduplication over Kafka,
checked against results computed here from the records.

Bids {item, supplier, price, ts} in event-time order (one partition, so
that no row is late; equal times repeat), read by a bounded run whose end
is a final watermark:

  * the top 3 suppliers by SUM(price) of each 10-second tumbling window
    (ties by supplier), over the window aggregate, into an append table;
  * the last bid of each item per 10-second window (window deduplication,
    ORDER BY ts DESC: on equal times the later bid), into an append table.
"""
import collections
import random

from eddyharness import Broker, Rec, canon, check, main, produce, read_topic, step
from eddytest import check_multiset, fold_append, run_job

SQL = """
CREATE TABLE bids (
  item STRING, supplier STRING, price DOUBLE, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('scan.startup.mode' = 'earliest-offset');

CREATE TABLE top_suppliers (window_end TIMESTAMP(3), rn BIGINT, supplier STRING, total DOUBLE);
CREATE TABLE last_bids (window_end TIMESTAMP(3), item STRING, price DOUBLE);

INSERT INTO top_suppliers
SELECT window_end, rn, supplier, total FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY total DESC, supplier) AS rn
  FROM (
    SELECT window_start, window_end, supplier, SUM(price) AS total
    FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))
    GROUP BY window_start, window_end, supplier
  )
) WHERE rn <= 3;

INSERT INTO last_bids
SELECT window_end, item, price FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end, item ORDER BY ts DESC) AS rn
  FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))
) WHERE rn = 1;
"""

N = 3000


def ts_text(ms):
    s = ms // 1000
    return "2024-01-01 %02d:%02d:%02d.%03d" % (s // 3600, s // 60 % 60, s % 60, ms % 1000)


def end_text(ms):
    """window_end as eddy's JSON writes a whole second."""
    return ts_text(ms)[:-4]


def test(eddy, workdir):
    rng = random.Random(3)
    rows, t = [], 0
    for _ in range(N):
        t += rng.choice([0, 0, 250, 1000])
        rows.append({"item": "i%d" % rng.randrange(30), "supplier": "s%d" % rng.randrange(12),
                     "price": float(rng.randrange(1, 50)), "ts_ms": t})
    sums = collections.defaultdict(float)
    last = {}
    for r in rows:
        we = (r["ts_ms"] // 10000 + 1) * 10000
        sums[(we, r["supplier"])] += r["price"]   # integers in doubles: exact in any order
        last[(we, r["item"])] = r                 # time order: the last bid of an item is the latest (ties: later)
    per = collections.defaultdict(list)
    for (we, sup), total in sums.items():
        per[we].append((total, sup))
    exp_top = []
    for we, v in per.items():
        for i, (total, sup) in enumerate(sorted(v, key=lambda x: (-x[0], x[1]))[:3]):
            exp_top.append({"window_end": end_text(we), "rn": i + 1, "supplier": sup, "total": total})
    exp_last = [{"window_end": end_text(we), "item": item, "price": r["price"]} for (we, item), r in last.items()]
    with Broker(eddy, workdir, {"bids": 1}) as b:
        produce(b.bootstrap, "bids", [Rec(None, {"item": r["item"], "supplier": r["supplier"], "price": r["price"],
                                                 "ts": ts_text(r["ts_ms"])}) for r in rows])
        step("produced %d bids over %d windows" % (N, len(per)))
        run_job(eddy, b.bootstrap, SQL, workdir, "window_topn")
        for sink, exp in (("top_suppliers", exp_top), ("last_bids", exp_last)):
            got = collections.Counter(canon(r) for r in fold_append(read_topic(b.bootstrap, sink)))
            check(sum(got.values()) == len(exp), "%s holds %d rows, expected %d" % (sink, sum(got.values()), len(exp)))
            check_multiset(sink, got, exp)
            step("%s: %d rows equal to the ones computed here" % (sink, len(exp)))


if __name__ == "__main__":
    main(test)
