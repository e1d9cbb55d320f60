"""Writes one state file of the corpus: run by hand with an eddy binary of
the state layout to keep (the suite re-creates each dump and checks that the
current eddy restores it: tests/e2e/test_state_compat.py, test "corpus").

    PYTHONPATH=tests/lib:tests/e2e python3 tests/e2e/state_corpus/make_corpus.py \\
        path/to/old/eddy NAME "what wrote it" [dedup|topn]

It runs the test's GROUP BY region job (its script()) bounded over 200
orders on a 2-partition topic and dumps the state file as SQL text into
state_corpus/NAME.sql, headed by the counts the sink then held."""
import collections
import json
import os
import sqlite3
import sys
import tempfile

from eddyharness import Broker, Rec, produce, run_bounded, write_file

import test_state_compat as t


def run_and_dump(eddy, name, origin, sink, sql, rows, headers):
    """Runs sql bounded over rows (order i in partition i % 2 of st_orders)
    and writes the state file's SQL dump, headed by origin and headers."""
    work = tempfile.mkdtemp(prefix="eddy-corpus.")
    with Broker(eddy, work, topics={"st_orders": 2, sink: 1}) as b:
        produce(b.bootstrap, "st_orders", [Rec(value=json.dumps(r).encode(), partition=i % 2) for i, r in enumerate(rows)])
        state = os.path.join(work, "st.db")
        run_bounded(eddy, b.bootstrap, write_file(work, "job.sql", sql), work, state=state)
    db = sqlite3.connect(state)
    dump = "\n".join(db.iterdump())
    db.close()
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), name + ".sql")
    with open(out, "w") as f:
        f.write("-- eddy state file corpus: %s\n" % origin)
        for h in headers:
            f.write("-- %s\n" % h)
        f.write(dump + "\n")
    print(out)


def make_dedup(eddy, name, origin):
    """The dedup job (test_state_compat.DEDUP) over orders 0..199 with ids
    repeating (i % 120): its state holds ids 0..119."""
    rows = [{"order_id": i % 120, "user_id": 1, "amount": 1.0, "region": "eu"} for i in range(200)]
    run_and_dump(eddy, name, origin, "st_first", t.DEDUP, rows,
                 ["job: dedup (tests/e2e/test_state_compat.py DEDUP), bounded over 200 orders, ids i % 120, order i in partition i % 2",
                  "seen: %s" % json.dumps(sorted({r["order_id"] for r in rows}))])


def make_topn(eddy, name, origin):
    """The Top-N job (test_state_compat.TOPN) over topn_orders(0, 200)."""
    run_and_dump(eddy, name, origin, "st_top", t.TOPN, t.topn_orders(0, 200),
                 ["job: topn (tests/e2e/test_state_compat.py TOPN), bounded over topn_orders(0, 200), order i in partition i % 2"])


def make(eddy, name, origin):
    rows = t.orders(0, 200)
    counts = collections.Counter(r["region"] for r in rows)
    run_and_dump(eddy, name, origin, "st_sum", t.script(), rows,
                 ["job: tests/e2e/test_state_compat.py script(), bounded over orders(0, 200), order i in partition i % 2",
                  "table: %s" % json.dumps(dict(sorted(counts.items())))])


# a fourth argument "dedup" or "topn" writes that job's state instead
{"dedup": make_dedup, "topn": make_topn}.get(sys.argv[4] if len(sys.argv) > 4 else "", make)(os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3])
