#!/usr/bin/python3
"""test_crash.py — eddy's state under kill -9, restarts and changed queries.

    PYTHONPATH=tests/lib /usr/bin/python3 tests/crash/test_crash.py path/to/eddy NAME

NAME is one of (each a ctest `crash/NAME`, each well under a minute):

  orders        the reference job (sql/orders.sql) killed with SIGKILL at
                random moments while `eddy gen --rate` feeds it, restarted
                with the same --state each time, then caught up with
                --bounded: the sink's final table must equal, exactly
                (doubles bit for bit), that of one uninterrupted --bounded
                run of the same query into another topic — and the counts
                and sums computed here from the source records.
  union         the same for one job reading two topics (UNION ALL of
                orders_eu and orders_us, 4 and 3 partitions, both produced
                while the job is killed): every partition of both resumes.
  having        the same for GROUP BY … HAVING COUNT(*) > k over an upsert
                source, so groups enter and leave the result (tombstones).
  upsert        the same for an upsert source (updates and tombstones) into
                GROUP BY with COUNT, MIN and MAX (numbers and strings).
  replay        deterministic: a change reaches the sink, the job is killed
                before its next checkpoint, and the input then changes the
                group back (or deletes a group the checkpoint never saw); the
                restarted job must leave the sink with the right final table.
  changed_query a restart with an incompatible query (another GROUP BY key,
                another aggregate) is refused naming the operator and
                --reset-state, exit 1, state untouched; a compatible one (a
                new projected column, another sink topic) resumes the state.
  changed_same_types  the same refusal for changes that keep every column
                type (GROUP BY another column of the same type, another
                argument to an aggregate).
  clean_stop    SIGTERM, then a restart with no new input emits nothing.
  locked        a second job on a state file in use fails at once, clearly.
  corrupt       garbage, a damaged file, unreadable rows, impossible offsets:
                a clear error naming the file and exit 1, never a crash.
  fail_midstream a job with changed, not yet checkpointed groups fails on a
                malformed record: exit 1 with topic/partition/offset, no crash
                while freeing its state; the restart fails on it again.
  topn          the orders stream into a Top-N over an aggregate (top 3
                users by sales per region, ROW_NUMBER() into an upsert table
                keyed by region and rank), killed and restarted as `orders`:
                the final table equals the uninterrupted run's and the top
                3 computed here from the records.
  corrupt_rows  rows that are valid SQLite but cannot have been written by
                eddy (bad key bytes, a negative row count, trailing bytes, a
                dropped table): the same clear error, never a silent restart
                from a wrong state.

Kill moments are random: the seed is printed, and CRASH_SEED=N repeats the
same kill times (the machine's timing still varies).  The data seeds are
fixed.
"""

import json
import math
import os
import random
import sqlite3
import time

from crashlib import kill9, resumed_rows, state_info, stop_counts, upsert_records, upsert_stream
from eddyharness import (REPO, Broker, Failure, Job, check, check_sanitizer, check_table, finish, fold_upsert,
                         gen_orders, last_values, main, produce, read_topic, run, run_bounded, start_gen_orders, step,
                         topic_count, wait_for, watermarks, write_file)
CKPT = "SET 'execution.checkpointing.interval' = '200 ms';\n"


def kill_seed():
    s = os.environ.get("CRASH_SEED")
    seed = int(s) if s else random.SystemRandom().randrange(1, 1 << 31)
    step("kill-time seed %d (repeat with CRASH_SEED=%d)" % (seed, seed))
    return random.Random(seed)


def num(x):
    """A folded JSON number (("num", text)) as int or float; None stays None."""
    if x is None:
        return None
    check(isinstance(x, tuple), "expected a number, got %r" % (x,))
    t = x[1]
    return float(t) if any(ch in t for ch in ".eE") else int(t)


# --------------------------------------------------------------------------
# SQL

def orders_sql(sink_topic=None):
    """sql/orders.sql with a 200 ms checkpoint interval; optionally writing
    to another topic."""
    with open(os.path.join(REPO, "sql", "orders.sql")) as f:
        text = f.read()
    if sink_topic:
        old = "total_orders BIGINT,\n  total_sales DOUBLE,\n  avg_order_value DOUBLE\n) WITH ('changelog.mode' = 'upsert');"
        check(old in text, "sql/orders.sql changed: cannot find the orders_summary DDL to redirect it")
        text = text.replace(old, old[:-2] + ", 'topic' = '%s');" % sink_topic)
    return CKPT + text


ACCOUNTS = """CREATE TABLE accounts (
  id BIGINT, grp STRING, v DOUBLE, qty BIGINT, name STRING,
  PRIMARY KEY (id) NOT ENFORCED
) WITH ('changelog.mode' = 'upsert', 'scan.startup.mode' = 'earliest-offset');
"""

HAVING_MIN = 14


def having_sql(sink_topic, interval=CKPT):
    return interval + ACCOUNTS + """
CREATE TABLE big_groups (
  grp STRING PRIMARY KEY NOT ENFORCED,
  members BIGINT, total DOUBLE, avg_v DOUBLE, qty BIGINT
) WITH ('changelog.mode' = 'upsert', 'topic' = '%s');

INSERT INTO big_groups
SELECT grp, COUNT(*) AS members, SUM(v) AS total, AVG(v) AS avg_v, SUM(qty) AS qty
FROM accounts
GROUP BY grp
HAVING COUNT(*) > %d;
""" % (sink_topic, HAVING_MIN)


def upsert_sql(sink_topic, interval=CKPT):
    return interval + ACCOUNTS + """
CREATE TABLE grp_stats (
  grp STRING PRIMARY KEY NOT ENFORCED,
  members BIGINT, min_v DOUBLE, max_v DOUBLE, min_qty BIGINT, max_qty BIGINT,
  min_name STRING, max_name STRING, n_qty BIGINT
) WITH ('changelog.mode' = 'upsert', 'topic' = '%s');

INSERT INTO grp_stats
SELECT grp, COUNT(*), MIN(v), MAX(v), MIN(qty), MAX(qty), MIN(name), MAX(name), COUNT(qty)
FROM accounts
GROUP BY grp;
""" % sink_topic


# --------------------------------------------------------------------------
# expected tables computed here, from the records (an oracle independent of eddy)

def live_rows(records):
    return last_values((json.loads(k)["id"], None if v is None else json.loads(v)) for k, v in records)


def by_group(records):
    g = {}
    for r in live_rows(records).values():
        g.setdefault(r["grp"], []).append(r)
    return g


def oracle_having(records):
    out = {}
    for grp, rs in by_group(records).items():
        if len(rs) > HAVING_MIN:
            qs = [r["qty"] for r in rs if r["qty"] is not None]
            out[grp] = {"members": len(rs), "total": math.fsum(r["v"] for r in rs), "qty": sum(qs) if qs else None}
    return out


def oracle_upsert(records):
    out = {}
    for grp, rs in by_group(records).items():
        qs = [r["qty"] for r in rs if r["qty"] is not None]
        out[grp] = {"members": len(rs), "min_v": min(r["v"] for r in rs), "max_v": max(r["v"] for r in rs),
                    "min_qty": min(qs) if qs else None, "max_qty": max(qs) if qs else None,
                    "min_name": min(r["name"] for r in rs), "max_name": max(r["name"] for r in rs), "n_qty": len(qs)}
    return out


def check_oracle(table, expected, keycol, what):
    """table: folded sink table; expected: {key value: {col: python value}}."""
    got = {json.loads(k)[keycol]: row for k, row in table.items()}
    diffs = []
    for key in sorted(set(got) | set(expected)):
        if key not in got or key not in expected:
            diffs.append("%s: %s in the sink, %s expected" % (key, "present" if key in got else "absent",
                                                              "present" if key in expected else "absent"))
            continue
        for col, ev in expected[key].items():
            gv = got[key].get(col)
            gv = gv if isinstance(gv, str) or gv is None else num(gv)
            if gv != ev:
                diffs.append("%s.%s = %r, expected %r" % (key, col, gv, ev))
    if diffs:
        raise Failure("%s does not match the table computed from the input:\n  %s" % (what, "\n  ".join(diffs[:40])))
    step("%s matches the table computed from the input (%d keys)" % (what, len(got)))


# --------------------------------------------------------------------------
# the kill -9 loop

def kill_loop(eddy, b, workdir, sql_path, state, gen, rng, want=4, lo=0.6, hi=2.0):
    """For as long as the generator runs: starts the job, kills it with
    SIGKILL after a random time, and again.  At least `want` kills must hit
    a job that had made progress (it had checkpointed records beyond where
    it started).  Then once more, at a random moment just after the end of
    the stream (the tail is where a lost update would remain visible).
    Returns the list of kills."""
    record = []
    jobs = []
    stretch = 1.0
    try:
        while True:
            covered0 = sum(state_info(state)["offsets"].values())
            j = Job(eddy, b.bootstrap, sql_path, workdir, "crash", state=state)
            jobs.append(j)
            if gen.poll() is not None:
                break
            dt = rng.uniform(lo, hi) * stretch
            time.sleep(dt)
            gen_running = gen.poll() is None
            b.check_alive()
            kill9(j)
            info = state_info(state)
            covered = sum(info["offsets"].values())
            loaded = resumed_rows(j.stderr())
            progress = gen_running and covered > covered0
            record.append({"after": round(dt, 3), "gen_running": gen_running, "covered": covered,
                           "progress": progress})
            # A run killed before its first checkpoint (a loaded machine starts
            # and checkpoints slowly) proves nothing: the next runs live longer.
            if gen_running and not progress:
                stretch = min(stretch * 1.6, 6.0)
            step("kill -9 #%d after %.3f s (generator %s): the checkpoint covers %d records (%+d in this run), %d state rows%s"
                 % (len(record), dt, "running" if gen_running else "done", covered, covered - covered0, info["rows"],
                    "" if loaded is None else "; the run had resumed with %d rows" % loaded))
        finish(gen, "the generator")
        dt = rng.uniform(0.0, 0.3)
        time.sleep(dt)
        kill9(j)
        info = state_info(state)
        record.append({"after": round(dt, 3), "gen_running": False, "covered": sum(info["offsets"].values()), "progress": False})
        step("kill -9 #%d %.3f s after the generator finished: the checkpoint covers %d records"
             % (len(record), dt, sum(info["offsets"].values())))
    finally:
        for j in jobs:
            j.kill()
    n = sum(1 for r in record if r["progress"])
    check(n >= want, "only %d kills hit a job that was processing the stream (%d wanted; a slow machine?): %s"
          % (n, want, record))
    return record


def crash_scenario(eddy, workdir, source, parts, sink, sql_fn, start_stream, oracle=None, kill_after=(0.6, 2.0)):
    """source: the source topic (with `parts` partitions), or a dict
    {topic: partitions} when the job reads several.  kill_after: the range
    of a run's random lifetime (s) before its kill -9."""
    rng = kill_seed()
    sources = dict(source) if isinstance(source, dict) else {source: parts}
    with Broker(eddy, workdir, dict(sources, **{sink: 4, sink + "_ref": 4})) as b:
        job_sql = write_file(workdir, "job.sql", sql_fn(sink))
        ref_sql = write_file(workdir, "ref.sql", sql_fn(sink + "_ref"))
        state = os.path.join(workdir, "job.db")
        gen, total = start_stream(b.bootstrap)
        kill_loop(eddy, b, workdir, job_sql, state, gen, rng, lo=kill_after[0], hi=kill_after[1])
        held = sum(topic_count(b.bootstrap, t) for t in sources)
        check(held == total, "the source topics hold %d records, %d were produced (retention?)" % (held, total))
        # Catch up: read to the end, stop, final checkpoint.
        err = run_bounded(eddy, b.bootstrap, job_sql, workdir, state=state).err
        step("catch-up run: %s" % err.strip().replace("\n", " | "))
        hw = {(t, p): hi for t in sources for p, (lo, hi) in watermarks(b.bootstrap, t).items()}
        offs = state_info(state)["offsets"]
        check(offs == hw, "after the catch-up the checkpointed offsets are %s, the topic ends at %s" % (offs, hw))
        # The uninterrupted run.
        err = run_bounded(eddy, b.bootstrap, ref_sql, workdir, state=os.path.join(workdir, "ref.db")).err
        rin = stop_counts(err)[0]
        check(rin == total, "the uninterrupted run read %d records, the topic holds %d" % (rin, total))
        got = fold_upsert(read_topic(b.bootstrap, sink), sink, exact=True)
        ref = fold_upsert(read_topic(b.bootstrap, sink + "_ref"), sink + "_ref", exact=True)
        step("final tables: %d keys after the crashes, %d uninterrupted" % (len(got), len(ref)))
        if oracle:
            oracle(ref, sink + "_ref (uninterrupted)")
        check_table("%s after %s" % (sink, "kill -9 and restarts"), got, ref)
        if oracle:
            oracle(got, sink)
        step("%s: %d keys, equal to the uninterrupted run, doubles bit for bit" % (sink, len(got)))


# --------------------------------------------------------------------------
# the tests

ORDERS_SEED, ORDERS_COUNT, ORDERS_RATE = 11, 360000, 30000


def t_orders(eddy, workdir):
    def stream(bs):
        return (start_gen_orders(eddy, bs, "orders_raw", ORDERS_COUNT, workdir, seed=ORDERS_SEED, rate=ORDERS_RATE),
                ORDERS_COUNT)

    def oracle(table, what):
        # Counts and sums from the source itself (math.fsum is the correctly
        # rounded sum, which is what eddy's exact double summation gives).
        per = {}
        for m in read_topic(b_holder[0], "orders_raw"):
            r = json.loads(m.value)
            per.setdefault(r["region"], []).append(r["amount"])
        exp = {reg: {"total_orders": len(a), "total_sales": math.fsum(a)} for reg, a in per.items()}
        check(sum(len(a) for a in per.values()) == ORDERS_COUNT, "orders_raw does not hold every order")
        check_oracle(table, exp, "region", what)

    b_holder = [None]

    def stream_and_remember(bs):
        b_holder[0] = bs
        return stream(bs)

    crash_scenario(eddy, workdir, "orders_raw", 4, "orders_summary", orders_sql, stream_and_remember, oracle)


def topn_sql(sink_topic):
    """Top 3 users by sales per region over the orders (ties by user_id, so
    that the ranking does not depend on arrival order)."""
    text = orders_sql()
    text = text[:text.index("CREATE TABLE orders_summary")]
    return text + """CREATE TABLE top_users (
  region STRING, rn BIGINT, user_id BIGINT, total DOUBLE,
  PRIMARY KEY (region, rn) NOT ENFORCED
) WITH ('changelog.mode' = 'upsert', 'topic' = '%s');

INSERT INTO top_users
SELECT region, rn, user_id, total FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY region ORDER BY total DESC, user_id) AS rn
  FROM (SELECT region, user_id, SUM(amount) AS total FROM orders_raw GROUP BY region, user_id)
) WHERE rn <= 3;
""" % sink_topic


def t_topn(eddy, workdir):
    b_holder = [None]

    def stream(bs):
        b_holder[0] = bs
        return (start_gen_orders(eddy, bs, "orders_raw", TOPN_COUNT, workdir, seed=ORDERS_SEED + 1, rate=TOPN_RATE),
                TOPN_COUNT)

    def oracle(table, what):
        sums = {}
        for m in read_topic(b_holder[0], "orders_raw"):
            r = json.loads(m.value)
            sums.setdefault(r["region"], {}).setdefault(r["user_id"], []).append(r["amount"])
        exp = {}
        for reg, users in sums.items():
            ranked = sorted(((math.fsum(a), u) for u, a in users.items()), key=lambda t: (-t[0], t[1]))
            for i, (total, u) in enumerate(ranked[:3]):
                exp[(reg, i + 1)] = (u, total)
        got = {}
        for k, row in table.items():
            key = json.loads(k)   # exact numbers come back as ["num", text]
            rn = key["rn"]
            got[(key["region"], num(tuple(rn)) if isinstance(rn, list) else rn)] = (num(row["user_id"]), num(row["total"]))
        diffs = ["%s: sink %s, expected %s" % (k, got.get(k), exp.get(k)) for k in sorted(set(got) | set(exp))
                 if got.get(k) != exp.get(k)]
        if diffs:
            raise Failure("%s does not match the top 3 computed from the input:\n  %s" % (what, "\n  ".join(diffs[:40])))
        step("%s matches the top 3 per region computed from the input (%d ranks)" % (what, len(got)))

    # A Top-N checkpoint writes each changed region's rows (all its users):
    # runs live longer before their kill so that checkpoints land.
    crash_scenario(eddy, workdir, "orders_raw", 4, "top_users", topn_sql, stream, oracle, kill_after=(1.5, 3.5))


TOPN_COUNT, TOPN_RATE = 200000, 12000


def union_sql(sink_topic):
    """Two order topics, one job: UNION ALL, then per region."""
    return CKPT + """
CREATE TABLE orders_eu (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING)
  WITH ('scan.startup.mode' = 'earliest-offset');
CREATE TABLE orders_us (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING)
  WITH ('scan.startup.mode' = 'earliest-offset');
CREATE TABLE per_region (region STRING PRIMARY KEY NOT ENFORCED, n BIGINT, total DOUBLE)
  WITH ('topic' = '%s');
INSERT INTO per_region
SELECT region, COUNT(*) AS n, SUM(amount) AS total
FROM (SELECT region, amount FROM orders_eu UNION ALL SELECT region, amount FROM orders_us)
GROUP BY region;
""" % sink_topic


class Both:
    """Two background generators as one: running while either runs."""

    def __init__(self, a, b):
        self.procs = (a, b)

    def poll(self):
        rcs = [p.poll() for p in self.procs]
        return None if None in rcs else max(rcs)

    def wait(self, timeout=None):
        return max(p.wait(timeout) for p in self.procs)


def t_union(eddy, workdir):
    """A job reading two topics (UNION ALL) is killed while both are
    produced: every partition of both topics resumes from the checkpoint,
    so the final table equals an uninterrupted run's and the input's."""
    half = ORDERS_COUNT // 2
    bs_holder = [None]

    def stream(bs):
        bs_holder[0] = bs
        eu = start_gen_orders(eddy, bs, "orders_eu", half, workdir, seed=ORDERS_SEED, rate=ORDERS_RATE // 2)
        us = start_gen_orders(eddy, bs, "orders_us", half, workdir, seed=ORDERS_SEED + 1, rate=ORDERS_RATE // 2)
        return Both(eu, us), 2 * half

    def oracle(table, what):
        per = {}
        for topic in ("orders_eu", "orders_us"):
            for m in read_topic(bs_holder[0], topic):
                r = json.loads(m.value)
                per.setdefault(r["region"], []).append(r["amount"])
        exp = {reg: {"n": len(a), "total": math.fsum(a)} for reg, a in per.items()}
        check_oracle(table, exp, "region", what)

    crash_scenario(eddy, workdir, {"orders_eu": 4, "orders_us": 3}, None, "per_region", union_sql, stream, oracle)


UPSERT_SEED, UPSERT_COUNT, UPSERT_RATE = 23, 48000, 4000


def t_having(eddy, workdir):
    recs = upsert_records(UPSERT_SEED, UPSERT_COUNT, 400, 24)
    exp = oracle_having(recs)
    step("the stream ends with %d of 24 groups above %d members" % (len(exp), HAVING_MIN))

    def stream(bs):
        return upsert_stream(bs, "accounts", UPSERT_SEED, UPSERT_COUNT, 400, 24, UPSERT_RATE, workdir), UPSERT_COUNT

    crash_scenario(eddy, workdir, "accounts", 4, "big_groups", having_sql, stream,
                   lambda t, what: check_oracle(t, exp, "grp", what))


def t_upsert(eddy, workdir):
    recs = upsert_records(UPSERT_SEED + 1, UPSERT_COUNT, 150, 60)
    exp = oracle_upsert(recs)
    step("the stream ends with %d of 60 groups non-empty" % len(exp))

    def stream(bs):
        return upsert_stream(bs, "accounts", UPSERT_SEED + 1, UPSERT_COUNT, 150, 60, UPSERT_RATE, workdir), UPSERT_COUNT

    crash_scenario(eddy, workdir, "accounts", 4, "grp_stats", upsert_sql, stream,
                   lambda t, what: check_oracle(t, exp, "grp", what))


def t_replay(eddy, workdir):
    """The sink saw a change after the last checkpoint; the job dies; the
    replay then sees that change and a later one that undoes it in one
    mini-batch.  Checkpoints only on a clean stop, so the moment is exact."""
    no_periodic = "SET 'execution.checkpointing.interval' = '1 h';\n"

    def row(i, grp, v):
        return (json.dumps({"id": i}), json.dumps({"id": i, "grp": grp, "v": v, "qty": i, "name": "n%d" % i}))

    base = [row(i, "a", 1.5 + i) for i in range(1, 17)] + [row(100, "b", 7.0)]
    cases = [
        # (what, SQL, records after the first kill, records after the restart)
        ("a group changed and changed back (COUNT/MIN/MAX)", upsert_sql,
         [row(1, "c", 2.5)], [row(1, "a", 2.5)]),
        ("a group created and emptied again", upsert_sql,
         [row(2, "z", 9.0)], [(json.dumps({"id": 2}), None)]),
        ("a group left HAVING and came back", having_sql,
         [(json.dumps({"id": 3}), None)], [row(3, "a", 4.5)]),
    ]
    failures = []
    with Broker(eddy, workdir, {"accounts": 1}) as b:
        produce(b.bootstrap, "accounts", base)
        for n, (what, fn, first, second) in enumerate(cases):
            sink = "replay%d" % n
            sql = write_file(workdir, "replay%d.sql" % n, fn(sink, no_periodic))
            ref = write_file(workdir, "replay%d_ref.sql" % n, fn(sink + "_ref", no_periodic))
            state = os.path.join(workdir, "replay%d.db" % n)
            run_bounded(eddy, b.bootstrap, sql, workdir, state=state)   # checkpoint at the clean stop
            before = topic_count(b.bootstrap, sink)
            j = Job(eddy, b.bootstrap, sql, workdir, "replay", state=state)
            try:
                produce(b.bootstrap, "accounts", first)
                wait_for("%s: the job to write something" % what, lambda: topic_count(b.bootstrap, sink) != before,
                         job=j, interval=0.05)
                time.sleep(0.3)
                kill9(j)
            finally:
                j.kill()
            produce(b.bootstrap, "accounts", second)
            run_bounded(eddy, b.bootstrap, sql, workdir, state=state)   # replays first + second
            run_bounded(eddy, b.bootstrap, ref, workdir, state=os.path.join(workdir, "replay%d_ref.db" % n))
            got = fold_upsert(read_topic(b.bootstrap, sink), sink, exact=True)
            exp = fold_upsert(read_topic(b.bootstrap, sink + "_ref"), sink + "_ref", exact=True)
            try:
                check_table("%s (%s)" % (sink, what), got, exp)
                step("%s: ok" % what)
            except Failure as e:
                step("%s: WRONG: %s" % (what, e))
                failures.append(str(e))
    check(not failures, "after kill -9 and restart, the sink's final table is wrong in %d of %d cases:\n%s"
          % (len(failures), len(cases), "\n".join(failures)))


def _orders_variant(select_cols, group_by, sink_cols, topic=None):
    """A variant of the reference job: other SELECT list / GROUP BY / sink columns."""
    return CKPT + """
CREATE TABLE orders_raw (
  order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING,
  ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp'
) WITH ('scan.startup.mode' = 'earliest-offset');
CREATE TABLE orders_summary (
  %s
) WITH ('changelog.mode' = 'upsert'%s);
INSERT INTO orders_summary
SELECT %s
FROM orders_raw
GROUP BY %s;
""" % (sink_cols, ", 'topic' = '%s'" % topic if topic else "", select_cols, group_by)


REF_COLS = "region STRING PRIMARY KEY NOT ENFORCED, total_orders BIGINT, total_sales DOUBLE, avg_order_value DOUBLE"
REF_SELECT = "region, COUNT(*) AS total_orders, SUM(amount) AS total_sales, ROUND(AVG(amount), 2) AS avg_order_value"


def _refused(eddy, b, workdir, state, name, sql_text, what):
    path = write_file(workdir, name + ".sql", sql_text)
    before = os.path.getmtime(state), state_info(state)
    rc, out, err, dt = run_bounded(eddy, b.bootstrap, path, workdir, state=state, expect=None)
    line = err.strip().splitlines()[-1] if err.strip() else ""
    problems = []
    if rc != 1:
        problems.append("exit %d (expected 1)" % rc)
    if "--reset-state" not in err:
        problems.append("the message does not mention --reset-state")
    if "GroupAggregate" not in err:
        problems.append("the message does not name the operator (GroupAggregate)")
    if state_info(state) != before[1]:
        problems.append("the state file changed")
    if problems:
        return "%s: %s; stderr: %s" % (what, ", ".join(problems), err.strip()[-800:])
    step("refused as expected (%s): %s" % (what, line[:300]))
    return None


def _changed_query(eddy, workdir, incompatible):
    with Broker(eddy, workdir, {"orders_raw": 4, "orders_summary": 4, "summary_b": 4, "summary_ref": 4,
                                "summary_reset": 4}) as b:
        bs = b.bootstrap
        gen_orders(eddy, bs, "orders_raw", 20000, 5)
        state = os.path.join(workdir, "job.db")
        base = write_file(workdir, "base.sql", orders_sql())
        run_bounded(eddy, bs, base, workdir, state=state)
        problems = [p for p in (_refused(eddy, b, workdir, state, "bad%d" % i, sql, what)
                                for i, (what, sql) in enumerate(incompatible)) if p]
        check(not problems, "incompatible changes not refused as they should be:\n  " + "\n  ".join(problems))
        if not incompatible:
            return
        # The refusals left the state alone: the original query resumes and has nothing to do.
        err = run_bounded(eddy, bs, base, workdir, state=state).err
        check(stop_counts(err)[0] == 0 and resumed_rows(err) == 8, "after the refusals the original job did not resume cleanly:\n" + err)
        # --reset-state makes the incompatible query start fresh (from the earliest offset).
        what, sql = incompatible[0]
        path = write_file(workdir, "reset.sql", sql.replace("WITH ('changelog.mode' = 'upsert')",
                                                            "WITH ('changelog.mode' = 'upsert', 'topic' = 'summary_reset')"))
        err = run_bounded(eddy, bs, path, workdir, state=os.path.join(workdir, "reset.db")).err
        err = run_bounded(eddy, bs, path, workdir, state=state, extra=["--reset-state"]).err
        check(resumed_rows(err) is None and stop_counts(err)[0] == 20000,
              "with --reset-state the changed query should start fresh and read all 20000 records:\n" + err)


def t_changed_query(eddy, workdir):
    incompatible = [
        ("GROUP BY user_id instead of region", _orders_variant(
            "user_id, COUNT(*) AS total_orders, SUM(amount) AS total_sales, ROUND(AVG(amount), 2) AS avg_order_value",
            "user_id", REF_COLS.replace("region STRING", "user_id BIGINT"))),
        ("MAX(amount) instead of SUM(amount)", _orders_variant(
            REF_SELECT.replace("SUM(amount)", "MAX(amount)"), "region", REF_COLS)),
        ("an aggregate added", _orders_variant(
            REF_SELECT + ", MIN(amount) AS smallest", "region", REF_COLS + ", smallest DOUBLE")),
        ("GROUP BY region, user_id", _orders_variant(
            "region, user_id, COUNT(*) AS total_orders, SUM(amount) AS total_sales, ROUND(AVG(amount), 2) AS avg_order_value",
            "region, user_id", REF_COLS.replace("region STRING PRIMARY KEY NOT ENFORCED", "region STRING, user_id BIGINT")
            + ", PRIMARY KEY (region, user_id) NOT ENFORCED")),
    ]
    _changed_query(eddy, workdir, incompatible)
    # Compatible changes keep the state (checked on a fresh broker for clarity).
    with Broker(eddy, workdir, {"orders_raw": 4, "orders_summary": 4, "summary_b": 4, "summary_ref": 4}) as b:
        bs = b.bootstrap
        state = os.path.join(workdir, "compat.db")
        gen_orders(eddy, bs, "orders_raw", 20000, 5)
        run_bounded(eddy, bs, write_file(workdir, "c0.sql", orders_sql()), workdir, state=state)
        # 1: a new column computed after the aggregate (same sink topic).
        gen_orders(eddy, bs, "orders_raw", 5000, 6)
        c1 = write_file(workdir, "c1.sql", _orders_variant(
            REF_SELECT + ", UPPER(region) AS region_uc, ROUND(AVG(amount), 0) AS avg_whole",
            "region", REF_COLS + ", region_uc STRING, avg_whole DOUBLE"))
        err = run_bounded(eddy, bs, c1, workdir, state=state).err
        check(resumed_rows(err) == 8 and stop_counts(err)[0] == 5000,
              "a new projected column should keep the state (8 groups) and read only the 5000 new records:\n" + err)
        # 2: another sink topic.
        gen_orders(eddy, bs, "orders_raw", 5000, 7)
        c2 = write_file(workdir, "c2.sql", orders_sql("summary_b"))
        err = run_bounded(eddy, bs, c2, workdir, state=state).err
        check(resumed_rows(err) == 8 and stop_counts(err)[0] == 5000,
              "another sink topic should keep the state and read only the 5000 new records:\n" + err)
        # Both continued from the state: the final values equal a fresh run over all 30000 orders.
        run_bounded(eddy, bs, write_file(workdir, "cref.sql", orders_sql("summary_ref")), workdir,
                    state=os.path.join(workdir, "cref.db"))
        ref = fold_upsert(read_topic(bs, "summary_ref"), "summary_ref", exact=True)
        cols = ["region", "total_orders", "total_sales", "avg_order_value"]
        check_table("summary_b (after the sink changed)",
                    fold_upsert(read_topic(bs, "summary_b"), "summary_b", exact=True), ref, columns=cols)
        # orders_summary: the rows written by c1 carry the new columns, computed from the resumed state.
        msgs = read_topic(bs, "orders_summary")
        c1_rows = [json.loads(m.value) for m in msgs if m.value and b"region_uc" in m.value]
        # (one row per region, or more when a slow run flushed several mini-batches)
        check(len({r["region"] for r in c1_rows}) == 8 and all(r["region_uc"] == r["region"].upper() for r in c1_rows),
              "the compatible query wrote %d rows with the new column for %d regions, expected all 8: %s"
              % (len(c1_rows), len({r["region"] for r in c1_rows}), c1_rows[:3]))
        step("compatible changes resumed from the state and continued the same totals")


def t_changed_same_types(eddy, workdir):
    """Changes the fingerprint must see although every column type stays the same."""
    incompatible = [
        ("GROUP BY UPPER(region) instead of region", _orders_variant(
            "UPPER(region) AS region, COUNT(*) AS total_orders, SUM(amount) AS total_sales, ROUND(AVG(amount), 2) AS avg_order_value",
            "UPPER(region)", REF_COLS)),
        ("SUM/AVG(amount * 100) instead of SUM/AVG(amount)", _orders_variant(
            REF_SELECT.replace("(amount)", "(amount * 100)"), "region", REF_COLS)),
    ]
    _changed_query(eddy, workdir, incompatible)


def t_clean_stop(eddy, workdir):
    jobs = [("orders", "orders_summary", orders_sql(), "orders_raw"),
            ("upsert", "grp_stats", upsert_sql("grp_stats"), "accounts")]
    with Broker(eddy, workdir, {"orders_raw": 4, "orders_summary": 4, "accounts": 4, "grp_stats": 4}) as b:
        bs = b.bootstrap
        gen_orders(eddy, bs, "orders_raw", 30000, 9)
        produce(bs, "accounts", upsert_records(31, 5000, 150, 60))
        for name, sink, text, source in jobs:
            sql = write_file(workdir, name + ".sql", text)
            state = os.path.join(workdir, name + ".db")
            total = topic_count(bs, source)
            j = Job(eddy, bs, sql, workdir, name, state=state)
            try:
                wait_for("%s: every record checkpointed" % name,
                         lambda: sum(state_info(state)["offsets"].values()) >= total, job=j)
                rc, err = j.term()
            finally:
                j.kill()
            check(rc == 0, "%s: exit %d after SIGTERM:\n%s" % (name, rc, err))
            n1 = topic_count(bs, sink)
            step("%s: stopped cleanly; %s holds %d records" % (name, sink, n1))
            # Restart, unbounded, no new input: let it run past several checkpoint intervals.
            j = Job(eddy, bs, sql, workdir, name, state=state)
            try:
                time.sleep(1.5)
                rc, err = j.term()
            finally:
                j.kill()
            check(rc == 0 and resumed_rows(err), "%s: the restart did not resume (exit %d):\n%s" % (name, rc, err))
            counts = stop_counts(err)
            n2 = topic_count(bs, sink)
            check(counts == (0, 0, 0) and n2 == n1, "%s: a restart with no new input wrote %d records (%s -> %s); stderr:\n%s"
                  % (name, n2 - n1, n1, n2, err))
            # And a bounded restart: nothing either.
            err = run_bounded(eddy, bs, sql, workdir, state=state).err
            check(stop_counts(err) == (0, 0, 0) and topic_count(bs, sink) == n1,
                  "%s: a bounded restart with no new input emitted something:\n%s" % (name, err))
            step("%s: restarts with no new input emitted nothing (%d records before and after)" % (name, n1))


def t_locked(eddy, workdir):
    with Broker(eddy, workdir, {"orders_raw": 4, "orders_summary": 4}) as b:
        bs = b.bootstrap
        gen_orders(eddy, bs, "orders_raw", 5000, 3)
        sql = write_file(workdir, "job.sql", orders_sql())
        state = os.path.join(workdir, "job.db")
        first = Job(eddy, bs, sql, workdir, "first", state=state)
        try:
            wait_for("the first job to start", lambda: "started job" in first.stderr(), job=first, interval=0.05)
            for args in (["run", "--bounded"], ["run"]):
                rc, out, err, dt = run([eddy] + args + ["--state", state, "--bootstrap", bs, sql], cwd=workdir, timeout=15,
                                       expect=None)
                step("second job (%s) on the same state file: exit %d in %.2f s: %s" % (" ".join(args), rc, dt, err.strip()))
                check(rc == 1, "a second job on a state file in use exited with %d, expected 1:\n%s" % (rc, err))
                check(dt < 3, "the second job took %.1f s to fail, expected at once" % dt)
                check(state in err and ("in use" in err or "locked" in err),
                      "the message should name the file and say it is in use:\n" + err)
            first.check_alive()
            rc, err = first.term()
            check(rc == 0, "the first job exited with %d after the second was refused:\n%s" % (rc, err))
        finally:
            first.kill()
        # Free again: a new job takes the file over.
        err = run_bounded(eddy, bs, sql, workdir, state=state).err
        check(resumed_rows(err) == 8, "after the first job stopped, the state file should resume:\n" + err)


def _corrupt(eddy, workdir, cases):
    """cases: [(what, 'orders' | 'upsert', how)], how(data, path) → bytes
    to write (or None when it wrote the file itself).  Each damaged file
    must make `eddy run` fail with exit 1 and a message naming the file."""
    rng = random.Random(5)
    with Broker(eddy, workdir, {"orders_raw": 4, "orders_summary": 4, "accounts": 4, "grp_stats": 4}) as b:
        bs = b.bootstrap
        gen_orders(eddy, bs, "orders_raw", 20000, 4)
        produce(bs, "accounts", upsert_records(41, 3000, 150, 60))
        sqls = {"orders": write_file(workdir, "orders.sql", orders_sql()),
                "upsert": write_file(workdir, "upsert.sql", upsert_sql("grp_stats"))}
        good = {}
        for name, sql in sqls.items():
            good[name] = os.path.join(workdir, name + "-good.db")
            run_bounded(eddy, bs, sql, workdir, state=good[name])
            db = sqlite3.connect(good[name])
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")     # everything in the main file
            db.close()
        problems = []
        for n, (what, base, how) in enumerate(cases):
            path = os.path.join(workdir, "damaged%d.db" % n)
            with open(good[base], "rb") as f:
                data = how(bytearray(f.read()), path, rng)
            if data is not None:
                with open(path, "wb") as f:
                    f.write(data)
            rc, out, err, dt = run([eddy, "run", "--bounded", "--state", path, "--bootstrap", bs, sqls[base]],
                                   cwd=workdir, timeout=30, expect=None)
            last = err.strip().splitlines()[-1] if err.strip() else ""
            step("%-34s exit %d: %s" % (what, rc, last[:260]))
            if rc < 0:
                problems.append("%s: eddy died with signal %d:\n%s" % (what, -rc, err[-2000:]))
            elif rc != 1:
                problems.append("%s: exit %d, expected 1 with a clear error; stderr: %s" % (what, rc, err.strip()[-500:]))
            elif path not in err:
                problems.append("%s: the message does not name the state file: %s" % (what, err.strip()[-500:]))
        check(not problems, "damaged state files not refused:\n  " + "\n  ".join(problems))


def _garbage(rng, n):
    return bytearray(rng.getrandbits(8) for _ in range(n))


def _sql_edit(*stmts):
    """A damage done through SQLite itself: the file stays a valid database."""
    def how(data, path, rng):
        with open(path, "wb") as f:
            f.write(data)
        db = sqlite3.connect(path)
        for st in stmts:
            db.execute(st)
        db.commit()
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        return None
    return how


def _damage_pages(data, path, rng):
    # Keep the first page (header, schema), scribble over every later page.
    for off in range(4096, len(data), 512):
        data[off:off + 64] = _garbage(rng, 64)
    return data


def t_corrupt(eddy, workdir):
    """Garbage and damage SQLite or eddy's decoders notice."""
    _corrupt(eddy, workdir, [
        ("random bytes", "orders", lambda d, p, rng: _garbage(rng, 40000)),
        ("a text file", "orders", lambda d, p, rng: bytearray(b"region,total\neu,1\n" * 100)),
        ("damaged pages", "orders", _damage_pages),
        ("truncated to half", "orders", lambda d, p, rng: d[:len(d) // 2 + 100]),
        ("accumulator bytes (GroupAggregate)", "orders", _sql_edit("UPDATE eddy_state SET value = x'ff01'", "UPDATE eddy_log SET value = x'ff01' WHERE value IS NOT NULL")),
        ("row bytes (ChangelogNormalize)", "upsert", _sql_edit("UPDATE eddy_state SET value = substr(value, 1, 3) WHERE op = 0", "UPDATE eddy_log SET value = substr(value, 1, 3) WHERE value IS NOT NULL AND op = 0")),
        ("offsets past the end of the topic", "orders", _sql_edit("UPDATE eddy_offsets SET next_offset = next_offset + 1000000")),
        ("an unknown format number", "orders", _sql_edit("UPDATE eddy_meta SET value = '99' WHERE key = 'format'")),
    ])


def t_corrupt_rows(eddy, workdir):
    """Rows that are valid SQLite but cannot be eddy's: accepted today, and
    then the job continues from a wrong state without a word."""
    _corrupt(eddy, workdir, [
        ("group key bytes (GroupAggregate)", "orders", _sql_edit("UPDATE eddy_state SET key = x'ffffffff' || key", "UPDATE eddy_log SET key = x'ffffffff' || key WHERE value IS NOT NULL")),
        ("key bytes (ChangelogNormalize)", "upsert", _sql_edit("UPDATE eddy_state SET key = x'ee' || key WHERE op = 0", "UPDATE eddy_log SET key = x'ee' || key WHERE value IS NOT NULL AND op = 0")),
        ("a negative row count (GroupAggregate)", "upsert",
         _sql_edit("UPDATE eddy_state SET value = x'01' || substr(value, 2) WHERE op = 1", "UPDATE eddy_log SET value = x'01' || substr(value, 2) WHERE value IS NOT NULL AND op = 1")),
        ("trailing bytes after the accumulators", "orders", _sql_edit("UPDATE eddy_state SET value = value || x'0000'", "UPDATE eddy_log SET value = value || x'0000' WHERE value IS NOT NULL")),
        ("eddy_state dropped (offsets kept)", "orders", _sql_edit("DROP VIEW eddy_current", "DROP TABLE eddy_state")),
    ])


def t_fail_midstream(eddy, workdir):
    """A job with a state file fails on a malformed record after it has
    changed groups that no checkpoint holds yet: a clear error (topic,
    partition, offset) and exit 1, no crash while it frees its state; a
    restart fails on the same record again (never skips it silently)."""
    sql = write_file(workdir, "job.sql", "SET 'execution.checkpointing.interval' = '1 h';\n" + """
CREATE TABLE orders_raw (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING)
  WITH ('scan.startup.mode' = 'earliest-offset');
CREATE TABLE summary (region STRING PRIMARY KEY NOT ENFORCED, n BIGINT, total DOUBLE)
  WITH ('changelog.mode' = 'upsert');
INSERT INTO summary SELECT region, COUNT(*), SUM(amount) FROM orders_raw GROUP BY region;
""")
    state = os.path.join(workdir, "job.db")
    with Broker(eddy, workdir, {"orders_raw": 1, "summary": 1}) as b:
        bs = b.bootstrap
        gen_orders(eddy, bs, "orders_raw", 1000, 2)
        run_bounded(eddy, bs, sql, workdir, state=state)    # a checkpoint: 1000 orders
        j = Job(eddy, bs, sql, workdir, "failing", state=state)
        try:
            # Counted before the new orders go in: the job may write their
            # changes before `eddy gen` has returned.
            before = topic_count(bs, "summary")
            gen_orders(eddy, bs, "orders_raw", 500, 3)
            # the new orders changed groups (no checkpoint since)
            wait_for("the job to write something", lambda: topic_count(bs, "summary") != before, job=j, interval=0.05)
            produce(bs, "orders_raw", [(None, "this is not JSON")])
            rc = j.wait(20)
            err = j.stderr()
        finally:
            j.kill()
        step("the job stopped with %s: %s" % (rc, err.strip().splitlines()[-1][:300] if err.strip() else ""))
        check_sanitizer("the failing job", err)
        check(rc == 1, "a job failing on a malformed record exited with %s, expected 1:\n%s" % (rc, err[-3000:]))
        check("offset 1500" in err and "orders_raw" in err,
              "the message should name the topic, partition and offset (1500) of the bad record:\n" + err[-2000:])
        rc, out, err, dt = run([eddy, "run", "--bounded", "--state", state, "--bootstrap", bs, sql], cwd=workdir,
                               expect=None)
        check(rc == 1 and "offset 1500" in err, "a restart should fail on the same record again (exit %d):\n%s" % (rc, err[-2000:]))


TESTS = {
    "orders": t_orders,
    "union": t_union,
    "having": t_having,
    "upsert": t_upsert,
    "replay": t_replay,
    "changed_query": t_changed_query,
    "changed_same_types": t_changed_same_types,
    "clean_stop": t_clean_stop,
    "locked": t_locked,
    "corrupt": t_corrupt,
    "corrupt_rows": t_corrupt_rows,
    "topn": t_topn,
    "fail_midstream": t_fail_midstream,
}

if __name__ == "__main__":
    main(TESTS)
