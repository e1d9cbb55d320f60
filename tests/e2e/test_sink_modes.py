"""e2e/sink_modes — one source, each sink changelog mode.

`sales` has 3 partitions; records go to explicit partitions with explicit
timestamps.  Its DDL has a computed column and the 'timestamp', 'partition'
and 'offset' metadata columns.  One script, three jobs:

  append   filter + projection with a function, the computed column and the
           metadata columns as values, and the record timestamp written
           through the sink's own 'timestamp' metadata column;
  retract  GROUP BY customer into changelog.mode 'retract': the `op` headers
           must fold (+I/+U add, -U/-D remove) to the expected table;
  upsert   GROUP BY customer into an upsert table.

Then a live run of the retract job over two phases into a second retract
sink: after phase 1 the fold must equal phase 1's table, after phase 2 the
final one, and the rows phase 2 changed must have been retracted (-U).

Expected values are computed here from the records read back from the
source topic (their partitions, offsets and timestamps included).  SUM of
doubles over 3 partitions compares with a relative tolerance of 1e-6;
everything else exactly.
"""
import collections
import datetime
import json
import random
import re

from eddyharness import Broker, Rec, canon, check, check_table, fold_upsert, main, produce, read_topic, step, ukey
from eddytest import Sections, check_list, check_multiset, fold_append, fold_retract, op_of, run_job, run_phases

SOURCE = """
CREATE TABLE sales (
  id         BIGINT,
  customer   STRING,
  amount     DOUBLE,
  qty        INT,
  line_total AS amount * qty,
  ts         TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
  part       INT METADATA FROM 'partition' VIRTUAL,
  off        BIGINT METADATA FROM 'offset' VIRTUAL
) WITH ('topic' = '{topic}');
"""

APPEND = """
CREATE TABLE sales_big (
  id            BIGINT,
  customer      STRING,
  line_total    DOUBLE,
  src_ts        TIMESTAMP_LTZ(3),
  src_partition INT,
  src_offset    BIGINT,
  rec_ts        TIMESTAMP_LTZ(3) METADATA FROM 'timestamp'
) WITH ('changelog.mode' = 'append');

INSERT INTO sales_big
SELECT id, UPPER(customer) AS customer, line_total, ts, part, off, ts
FROM sales
WHERE qty >= 2 AND amount IS NOT NULL;
"""

RETRACT = """
CREATE TABLE {sink} (
  customer   STRING,
  n          BIGINT,
  qty_sum    INT,
  max_amount DOUBLE
) WITH ('changelog.mode' = 'retract');

INSERT INTO {sink}
SELECT customer, COUNT(*) AS n, SUM(qty) AS qty_sum, MAX(amount) AS max_amount
FROM sales
GROUP BY customer;
"""

UPSERT = """
CREATE TABLE sales_by_customer (
  customer   STRING PRIMARY KEY NOT ENFORCED,
  n          BIGINT,
  total      DOUBLE,
  min_amount DOUBLE
) WITH ('changelog.mode' = 'upsert');

INSERT INTO sales_by_customer
SELECT customer, COUNT(*) AS n, SUM(amount) AS total, MIN(amount) AS min_amount
FROM sales
GROUP BY customer;
"""

CUSTOMERS = ["ann", "bob", "cid", "dee", "eve", "flo"]
BASE_TS = 1700000000000   # 2023-11-14 22:13:20 UTC


def make_records(rng, n, first_id):
    recs = []
    for i in range(first_id, first_id + n):
        amount = None if rng.random() < 0.08 else rng.randint(1, 99999) / 100
        v = {"id": i, "customer": rng.choice(CUSTOMERS), "amount": amount, "qty": rng.randint(0, 5)}
        ts = BASE_TS + i * 1001 + (0 if i % 7 == 0 else rng.randint(1, 999))   # some whole seconds
        recs.append(Rec({"id": i}, v, partition=rng.randrange(3), timestamp=ts))
    # a customer with one purchase and no amount: MAX/MIN/SUM over only NULLs are NULL
    recs.append(Rec({"id": first_id + n}, {"id": first_id + n, "customer": "zed" + str(first_id), "qty": 1},
                    partition=0, timestamp=BASE_TS))
    return recs


_TS_RE = re.compile(r"(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,3}))?Z")


def ltz_to_ms(s):
    """A TIMESTAMP_LTZ(3) as eddy writes it in JSON ('yyyy-MM-dd HH:mm:ss[.fff]Z',
    Flink's SQL format, UTC) → epoch milliseconds; anything else unchanged."""
    m = _TS_RE.fullmatch(s) if isinstance(s, str) else None
    if not m:
        return s
    y, mo, d, h, mi, se = (int(x) for x in m.groups()[:6])
    frac = (m.group(7) or "").ljust(3, "0")
    dt = datetime.datetime(y, mo, d, h, mi, se, tzinfo=datetime.timezone.utc)
    return int(dt.timestamp()) * 1000 + int(frac)


def per_customer(rows):
    g = collections.defaultdict(list)
    for r in rows:
        g[r["customer"]].append(r)
    return g


def expected_retract(rows):
    out = []
    for c, rs in per_customer(rows).items():
        amounts = [r["amount"] for r in rs if r.get("amount") is not None]
        qtys = [r["qty"] for r in rs if r.get("qty") is not None]
        out.append({"customer": c, "n": len(rs), "qty_sum": sum(qtys) if qtys else None,
                    "max_amount": max(amounts) if amounts else None})
    return out


def test(eddy, workdir):
    rng = random.Random(5)
    recs = make_records(rng, 300, 1)
    live1 = make_records(rng, 40, 1001)
    live2 = make_records(rng, 40, 2001)
    # phase 2 must update phase 1's customers
    for r in live2:
        r.value["customer"] = r.value["customer"].replace("zed2001", "zed1001")

    with Broker(eddy, workdir, {"sales": 3, "sales_live": 3, "sales_big": 1, "sales_rt": 1, "sales_rt_live": 1}) as b, \
            Sections() as sec:
        produce(b.bootstrap, "sales", recs)
        src = read_topic(b.bootstrap, "sales")
        check(len(src) == len(recs), "sales holds %d records, expected %d" % (len(src), len(recs)))
        rows = [json.loads(m.value) for m in src]

        sql = SOURCE.format(topic="sales") + APPEND + RETRACT.format(sink="sales_rt") + UPSERT
        run_job(eddy, b.bootstrap, sql, workdir, "sink_modes")

        with sec('append'):
            exp_append = []
            for m, r in zip(src, rows):
                if r.get("qty") is not None and r["qty"] >= 2 and r.get("amount") is not None:
                    exp_append.append({"id": r["id"], "customer": r["customer"].upper(),
                                       "line_total": r["amount"] * r["qty"], "src_ts": m.timestamp,
                                       "src_partition": m.partition, "src_offset": m.offset})
            out = read_topic(b.bootstrap, "sales_big")
            got = fold_append(out)
            for row in got:
                if isinstance(row, dict) and "src_ts" in row:
                    row["src_ts"] = ltz_to_ms(row["src_ts"])
            # within one source partition the order is kept
            last = {}
            for row in got:
                p, o = row.get("src_partition"), row.get("src_offset")
                check(p not in last or last[p] < o,
                      "sales_big: offsets of partition %s out of order (%s after %s)" % (p, o, last.get(p)))
                last[p] = o
            # the sink's record timestamp is the source's, written through rec_ts
            ts_by_id = {r["id"]: m.timestamp for m, r in zip(src, rows)}
            bad_ts = [(m.offset, m.timestamp, ts_by_id.get(row.get("id"))) for m, row in zip(out, got)
                      if m.timestamp != ts_by_id.get(row.get("id"))]
            key = lambda r: (r.get("src_partition", -1), r.get("src_offset", -1))  # noqa: E731
            check_list("sales_big (append)", sorted(got, key=key), sorted(exp_append, key=key))
            check(not bad_ts, "sales_big: record timestamps (sink metadata column rec_ts) differ from the source's "
                  "(sink offset, actual, expected): %s" % bad_ts[:10])
            step("sales_big: record timestamps are the source's")

        with sec('retract'):
            rt = read_topic(b.bootstrap, "sales_rt")
            check_multiset("sales_rt (retract, folded by op)", fold_retract(rt), expected_retract(rows))

        with sec('upsert'):
            exp_up = {}
            for c, rs in per_customer(rows).items():
                amounts = [r["amount"] for r in rs if r.get("amount") is not None]
                exp_up[ukey(customer=c)] = {"customer": c, "n": len(rs), "total": sum(amounts) if amounts else None,
                                            "min_amount": min(amounts) if amounts else None}
            check_table("sales_by_customer (upsert)", fold_upsert(read_topic(b.bootstrap, "sales_by_customer")), exp_up,
                        rel_tol=1e-6)

        with sec('retract, live over two phases'):
            exp1 = expected_retract([r.value for r in live1])
            exp2 = expected_retract([r.value for r in live1 + live2])

            def cmp(what, actual, expected):
                check_multiset(what, actual, expected)
            msgs = run_phases(eddy, b.bootstrap, SOURCE.format(topic="sales_live") + RETRACT.format(sink="sales_rt_live"),
                              workdir, "retract_live", "sales_live",
                              [(live1, {"sales_rt_live": exp1}), (live2, {"sales_rt_live": exp2})],
                              {"sales_rt_live": (fold_retract, cmp)})["sales_rt_live"]
            check_multiset("sales_rt_live (read to the end after the stop)", fold_retract(msgs), exp2)
            retracted = collections.Counter(canon(json.loads(m.value)) for m in msgs if op_of(m) in ("-U", "-D"))
            changed = [r for r in exp1 if canon(r) not in {canon(x) for x in exp2}]
            check(changed, "the scenario should change phase 1's rows")
            missing = [r for r in changed if retracted[canon(r)] == 0]
            check(not missing, "sales_rt_live: rows changed by phase 2 were never retracted: %s" % missing)
            ops = collections.Counter(op_of(m) for m in msgs)
            step("sales_rt_live: ops %s; every changed row was retracted" % dict(ops))


if __name__ == "__main__":
    main(test)
