"""e2e/interval_join — payments matched with the authorisation that
preceded them by at most a minute (an event-time interval join, LEFT: a
payment without one comes NULL-padded), over Kafka, with a kill -9 in the
middle.

Authorisations (3 partitions) and payments (2 partitions) carry event
times that rise in each partition with less disorder than the 5 s
watermark delay, so no row is late whatever order the partitions and topics
are read in, and every row is kept until no row of the other side can meet
it: the result is the same for every order of arrival.  It is computed here
in Python: each payment with every authorisation of its order at most 60 s
before it (or -1 and NULL when none), into an upsert table keyed by
(pid, aid).

  1. the records up to a time split; the job runs until some rows are out
     and a checkpoint holds join state, then is killed with SIGKILL;
  2. the records after the split; `eddy run --bounded` restarts from the
     state file, reads to the topics' ends and stops with a final
     watermark, which pads the payments still waiting.
"""
import datetime
import os
import random

from eddyharness import Broker, Job, Rec, check_table, fold_upsert, main, produce, read_topic, run_bounded, step, ukey, wait_for, write_file
from eddytest import checkpointed

SQL = """
SET 'execution.checkpointing.interval' = '300 ms';
CREATE TABLE auths (aid BIGINT, oid BIGINT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND);
CREATE TABLE pays (pid BIGINT, oid BIGINT, amount DOUBLE, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND);
CREATE TABLE matched (
  pid BIGINT, aid BIGINT, amount DOUBLE, auth_ts TIMESTAMP(3),
  PRIMARY KEY (pid, aid) NOT ENFORCED
);
INSERT INTO matched
SELECT p.pid, COALESCE(a.aid, -1), p.amount, a.ts
FROM pays p LEFT JOIN auths a
  ON p.oid = a.oid AND p.ts BETWEEN a.ts AND a.ts + INTERVAL '1' MINUTE;
"""

BASE = datetime.datetime(2024, 1, 1)
ORDERS = 1200
SPLIT_MS = ORDERS * 200 // 2


def fmt(ms):
    t = BASE + datetime.timedelta(milliseconds=ms)
    return t.strftime("%Y-%m-%d %H:%M:%S.") + "%03d" % (ms % 1000)


def world():
    """Authorisations and payments: (partition, value, time) each."""
    rng = random.Random(12)
    auths, pays = [], []
    pid = 0
    for o in range(ORDERS):
        t = o * 200
        if o % 10 != 3:   # every tenth order has no authorisation
            auths.append((o % 3, {"aid": 10000 + o, "oid": o, "ts": fmt(t + rng.randrange(3000))}, t))
        if o % 25 == 7:   # a second authorisation, 30 s later
            auths.append(((o + 1) % 3, {"aid": 20000 + o, "oid": o, "ts": fmt(t + 30000)}, t + 30000))
        for j in range(o % 4):
            dt = [10000, 59000, 70000][j] + rng.randrange(2000)
            pays.append((pid % 2, {"pid": pid, "oid": o, "amount": (pid % 97) + 0.25, "ts": fmt(t + dt)}, t + dt))
            pid += 1
    # each partition in time order (a rise with less disorder than the delay)
    for recs in (auths, pays):
        for r in recs:
            r[1]["_ms"] = int((datetime.datetime.strptime(r[1]["ts"], "%Y-%m-%d %H:%M:%S.%f") - BASE).total_seconds() * 1000)
        recs.sort(key=lambda r: r[1]["_ms"])
    return auths, pays


def expected(auths, pays):
    by_order = {}
    for _, a, _ in auths:
        by_order.setdefault(a["oid"], []).append(a)
    out = {}
    for _, p, _ in pays:
        met = [a for a in by_order.get(p["oid"], []) if a["_ms"] <= p["_ms"] <= a["_ms"] + 60000]
        for a in met:
            out[ukey(pid=p["pid"], aid=a["aid"])] = {"pid": p["pid"], "aid": a["aid"], "amount": p["amount"], "auth_ts": a["ts"]}
        if not met:
            out[ukey(pid=p["pid"], aid=-1)] = {"pid": p["pid"], "aid": -1, "amount": p["amount"], "auth_ts": None}
    return out


def records(recs, first):
    """Rec()s of the records before (first) or from the split on."""
    out = []
    for part, v, _ in recs:
        if (v["_ms"] < SPLIT_MS) == first:
            out.append(Rec(value={k: x for k, x in v.items() if k != "_ms"}, partition=part))
    return out


def canon_ts(text):
    """A timestamp as ms after BASE ('…:32.9' and '…:32.900' are one time)."""
    if text is None:
        return None
    fmt_ = "%Y-%m-%d %H:%M:%S.%f" if "." in text else "%Y-%m-%d %H:%M:%S"
    return round((datetime.datetime.strptime(text, fmt_) - BASE).total_seconds() * 1000)


def table_of(bs):
    t = {}
    for row in fold_upsert(read_topic(bs, "matched")).values():
        row = dict(row)
        row["auth_ts"] = canon_ts(row["auth_ts"])
        t[ukey(pid=row["pid"], aid=row["aid"])] = row
    return t


def test(eddy, workdir):
    sql = write_file(workdir, "ij.sql", SQL)
    state = os.path.join(workdir, "ij.db")
    auths, pays = world()
    want = expected(auths, pays)
    for row in want.values():
        row["auth_ts"] = canon_ts(row["auth_ts"])
    step("%d authorisations, %d payments, %d rows expected" % (len(auths), len(pays), len(want)))
    with Broker(eddy, workdir, {"auths": 3, "pays": 2, "matched": 1}) as b:
        bs = b.bootstrap
        produce(bs, "auths", records(auths, True))
        produce(bs, "pays", records(pays, True))
        job = Job(eddy, bs, sql, workdir, "ij", state=state)
        try:
            wait_for("some matched payments", lambda: len(table_of(bs)) >= 200, timeout=60, job=job)
            wait_for("a checkpoint with join state", lambda: checkpointed(state), timeout=30, job=job)
            job.kill()
            step("killed with %d rows in the table" % len(table_of(bs)))
        finally:
            job.kill()
        produce(bs, "auths", records(auths, False))
        produce(bs, "pays", records(pays, False))
        run_bounded(eddy, bs, sql, cwd=workdir, state=state, timeout=90)
        check_table("matched after kill -9 and a bounded restart", table_of(bs), want)


main(test)
