"""e2e/state_compat — saved state survives harmless query changes and eddy
versions, and a real change is refused naming what differs.

  * harmless: a GROUP BY region job runs over 100 orders and stops; each
    restart with the same state file changes the script harmlessly (the
    source gets 'error.mode' = 'skip', an unused column, another
    scan.startup.mode, another format option spelled out) while 100 more
    orders arrive; every run must resume from its checkpoint (the upsert
    sink's table equals the counts over all orders so far, nothing counted
    twice) and exit 0;
  * incompatible: COUNT(*) becomes SUM(amount): refused, exit 1, and the
    message shows what the state was kept for and what the query needs
    now — never two identical texts;
  * per job: a script of two INSERT jobs (a GROUP BY into an upsert table,
    a copy into an append topic): --reset-job resets only the job it names
    (the copy writes no duplicates), a bare --reset-state is refused with
    the jobs' names, an unknown --reset-job name is refused, a refused
    state file of one job stops the script before the other job writes,
    and --state none runs both jobs;
  * tampered: the state file of a running job is deleted, overwritten with
    garbage, or replaced by another job's compatible state file: at its
    next checkpoint the job must say so and exit 1, never stop "cleanly";
  * disk full: the state file on a 256 KiB tmpfs; a job whose checkpoint
    no longer fits fails with a clear error (exit 1) keeping its last good
    checkpoint; with room again it resumes from it, exactly (per-order
    counts stay 1: nothing counted twice, nothing lost);
  * corpus: each state file in state_corpus/ (an SQL dump written by an
    earlier eddy, see its header) is re-created, its topic filled with
    records the state says were read already (region 'junk': counting them
    would show the state was ignored), then new orders; the current eddy
    must restore the state and add the new orders to it.
"""
import collections
import glob
import json
import os
import re
import sqlite3

from eddyharness import Broker, Rec, check, fold_upsert, main, produce, read_topic, run_bounded, step, ukey, write_file

SOURCE = """CREATE TABLE st_orders (
  order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING{extra_col}
){with_};
"""
SINK = """CREATE TABLE st_sum (region STRING PRIMARY KEY NOT ENFORCED, n BIGINT) WITH ('changelog.mode' = 'upsert');
"""
QUERY = "INSERT INTO st_sum SELECT region, {agg} FROM st_orders GROUP BY region;\n"

REGIONS = ["eu", "us", "apac", "latam"]

# The corpus's second job: deduplication (the first row per order_id), whose
# state layout changed (rows, then packed chunks).  Its dumps say "-- job: dedup".
DEDUP = """CREATE TABLE st_orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, pt AS PROCTIME());
CREATE TABLE st_first (order_id BIGINT, region STRING) WITH ('changelog.mode' = 'append');
INSERT INTO st_first SELECT order_id, region FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY order_id ORDER BY pt) AS rn FROM st_orders) WHERE rn = 1;
"""


def orders(first, count):
    return [{"order_id": i, "user_id": i % 7, "amount": 1.5 * (i % 10), "region": REGIONS[(i * 3) % 4]}
            for i in range(first, first + count)]


def script(extra_col="", with_="", agg="COUNT(*) AS n"):
    return SOURCE.format(extra_col=extra_col, with_=with_) + SINK + QUERY.format(agg=agg)


def expected(rows):
    n = collections.Counter(r["region"] for r in rows)
    return {ukey(region=k): {"region": k, "n": v} for k, v in n.items()}


def check_sink(bootstrap, rows, what):
    got = fold_upsert(read_topic(bootstrap, "st_sum"), "st_sum")
    want = expected(rows)
    check(got == want, "%s: st_sum is %s, expected %s" % (what, sorted(got.values(), key=str),
                                                          sorted(want.values(), key=str)))


def run_script(eddy, bootstrap, workdir, name, sql, state, expect=0):
    path = write_file(workdir, name + ".sql", sql)
    return run_bounded(eddy, bootstrap, path, workdir, state=state, expect=expect)


def harmless_and_incompatible(eddy, workdir):
    with Broker(eddy, workdir, topics={"st_orders": 2, "st_sum": 1}) as b:
        state = os.path.join(workdir, "st.db")
        sent = []
        variants = [
            ("original", script()),
            ("error-mode-skip", script(with_=" WITH ('error.mode' = 'skip')")),
            ("unused-column", script(extra_col=", note STRING", with_=" WITH ('error.mode' = 'skip')")),
            ("startup-mode", script(extra_col=", note STRING", with_=" WITH ('scan.startup.mode' = 'latest-offset')")),
            ("format-spelled-out", script(with_=" WITH ('format' = 'json', 'scan.startup.mode' = 'earliest-offset')")),
        ]
        for i, (name, sql) in enumerate(variants):
            batch = orders(100 * i, 100)
            produce(b.bootstrap, "st_orders", [Rec(value=json.dumps(r).encode()) for r in batch])
            sent += batch
            step("%s: %d orders so far" % (name, len(sent)))
            r = run_script(eddy, b.bootstrap, workdir, name, sql, state)
            check("cannot follow" not in r.err, "%s: the state was refused:\n%s" % (name, r.err))
            check_sink(b.bootstrap, sent, name)

        r = run_script(eddy, b.bootstrap, workdir, "sum", script(agg="SUM(user_id) AS n"), state, expect=1)
        msg = r.err
        check("cannot follow" in msg, "SUM instead of COUNT: no refusal in\n%s" % msg)
        check("COUNT(*)" in msg and "SUM(" in msg,
              "SUM instead of COUNT: the refusal does not name COUNT(*) and SUM:\n%s" % msg)
        m = re.search(r"aggs was '([^']*)', now '([^']*)'", msg)
        check(m and "COUNT(*)" in m.group(1) and "SUM(" in m.group(2),
              "SUM instead of COUNT: the refusal does not say that the aggregates differ:\n%s" % msg)
        step("refused: %s" % msg.strip().splitlines()[-1][:300])


TWO_JOBS = SOURCE.format(extra_col="", with_="") + SINK + """CREATE TABLE st_copy (order_id BIGINT, region STRING);
INSERT INTO st_sum SELECT region, {agg} FROM st_orders GROUP BY region;
INSERT INTO st_copy SELECT order_id, region FROM st_orders;
"""


def per_job(eddy, workdir):
    with Broker(eddy, workdir, topics={"st_orders": 2, "st_sum": 1, "st_copy": 1}) as b:
        sent = []

        def more(n, name, *extra, expect=0, agg="COUNT(*) AS n"):
            batch = orders(len(sent), n)
            produce(b.bootstrap, "st_orders", [Rec(value=json.dumps(r).encode()) for r in batch])
            sent.extend(batch)
            path = write_file(workdir, name + ".sql", TWO_JOBS.format(agg=agg))
            return run_bounded(eddy, b.bootstrap, path, workdir, expect=expect, extra=list(extra))

        def copies():
            return sorted(json.loads(m.value)["order_id"] for m in read_topic(b.bootstrap, "st_copy"))

        more(100, "first")
        check(copies() == list(range(100)), "first run: st_copy holds %d records, expected 100" % len(copies()))
        more(100, "reset-sum", "--reset-job", "st_sum")
        check_sink(b.bootstrap, sent, "--reset-job st_sum")
        check(copies() == list(range(200)),
              "--reset-job st_sum: st_copy holds %d records for 200 orders (the copy job was reset too?)" % len(copies()))

        r = more(50, "reset-all", "--reset-state", expect=1)
        check("st_sum" in r.err and "st_copy" in r.err and "--reset-job" in r.err,
              "a bare --reset-state over two jobs: the refusal does not name the jobs and --reset-job:\n%s" % r.err)
        r = more(0, "reset-unknown", "--reset-job", "st_nope", expect=1)
        check("st_nope" in r.err and "st_copy" in r.err, "--reset-job st_nope: no clear refusal:\n%s" % r.err)
        check(copies() == list(range(200)), "a refused run wrote into st_copy")

        r = more(0, "sum-changed", expect=1, agg="SUM(user_id) AS n")
        check("cannot follow" in r.err, "st_sum's query changed: not refused:\n%s" % r.err)
        check(copies() == list(range(200)), "st_sum's state was refused but st_copy's job ran and wrote")

        more(0, "resume")
        check(copies() == list(range(250)), "after the refusals: st_copy holds %d records, expected 250" % len(copies()))
        check_sink(b.bootstrap, sent, "after the refusals")
        more(0, "stateless", "--state", "none")
        check(len(copies()) == 500, "--state none: both jobs should have read all 250 orders again")
        step("per-job reset, refusals before any job starts, --state none: as expected")


def tampered(eddy, workdir):
    import shutil
    import time
    from eddyharness import Job, wait_for
    with Broker(eddy, workdir, topics={"st_orders": 2, "st_sum": 1}) as b:
        sql = "SET 'execution.checkpointing.interval' = '200 ms';\n" + script()
        path = write_file(workdir, "job.sql", sql)
        # another job's state file of the same query, to put in the place of the running one's
        produce(b.bootstrap, "st_orders", [Rec(value=json.dumps(r).encode()) for r in orders(0, 50)])
        other = os.path.join(workdir, "other.db")
        run_bounded(eddy, b.bootstrap, path, workdir, state=other)

        def overwrite(p):
            with open(p, "r+b") as f:
                f.write(os.urandom(4096))

        def replace(p):
            shutil.copy(other, p + ".new")
            os.rename(p + ".new", p)

        cases = [("deleted", os.unlink, "deleted"),
                 ("overwritten", overwrite, "no longer holds an SQLite database"),
                 ("replaced", replace, "replaced by another file")]
        for name, tamper, why in cases:
            state = os.path.join(workdir, name + ".db")
            job = Job(eddy, b.bootstrap, path, workdir, name, state=state)
            try:
                produce(b.bootstrap, "st_orders", [Rec(value=json.dumps(r).encode()) for r in orders(100, 20)])
                wait_for("%s: a first checkpoint" % name, lambda: os.path.exists(state) and os.path.getsize(state) > 0
                         and os.path.exists(state + "-wal"), job=job)
                time.sleep(0.5)
                tamper(state)
                rc = None
                for _ in range(40):
                    produce(b.bootstrap, "st_orders", [Rec(value=json.dumps(r).encode()) for r in orders(200, 5)])
                    rc = job.wait(0.25)
                    if rc is not None:
                        break
                err = job.stderr()
                check(rc == 1, "%s state file: the job %s:\n%s"
                      % (name, "is still running 10 s later" if rc is None else "exited with %s" % rc, err[-2000:]))
                check(why in err and "not the file this job opened" in err,
                      "%s state file: the job's message does not say so:\n%s" % (name, err[-2000:]))
                step("%s: %s" % (name, [line for line in err.splitlines() if why in line][0][:240]))
            finally:
                job.kill()


PER_ORDER = SOURCE.format(extra_col="", with_="") + """
CREATE TABLE st_per (order_id BIGINT PRIMARY KEY NOT ENFORCED, n BIGINT) WITH ('changelog.mode' = 'upsert');
INSERT INTO st_per SELECT order_id, COUNT(*) AS n FROM st_orders GROUP BY order_id;
"""


def disk_full(eddy, workdir):
    import subprocess
    disk = os.path.join(workdir, "disk")
    os.mkdir(disk)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", disk], capture_output=True, text=True)
    check(r.returncode == 0, "cannot mount a small tmpfs for the state file (the suite runs as root): %s" % r.stderr)
    try:
        with Broker(eddy, workdir, topics={"st_orders": 2, "st_per": 1}) as b:
            path = write_file(workdir, "per.sql", PER_ORDER)
            state = os.path.join(disk, "per.db")
            produce(b.bootstrap, "st_orders", [Rec(value=json.dumps(r).encode()) for r in orders(0, 500)])
            run_bounded(eddy, b.bootstrap, path, workdir, state=state)
            produce(b.bootstrap, "st_orders", [Rec(value=json.dumps(r).encode()) for r in orders(500, 60000)])
            r = run_bounded(eddy, b.bootstrap, path, workdir, state=state, expect=1)
            fail = [line for line in r.err.splitlines() if "failed" in line or "error" in line]
            check(fail and "full" in fail[-1].replace(workdir, "") and state in fail[-1],
                  "disk full: the error does not say the state file's disk is full:\n%s" % r.err[-2000:])
            step("disk full: %s" % fail[-1][:300])
            subprocess.run(["mount", "-o", "remount,size=64m", disk], check=True)
            run_bounded(eddy, b.bootstrap, path, workdir, state=state)
            got = fold_upsert(read_topic(b.bootstrap, "st_per"), "st_per")
            bad = [row for row in got.values() if row["n"] != 1]
            check(len(got) == 60500 and not bad, "after the disk had room again: %d orders in st_per (expected 60500), "
                  "%d counted more than once, e.g. %s" % (len(got), len(bad), bad[:3]))
    finally:
        subprocess.run(["umount", "-l", disk])


def restore_dump(sub, text):
    """Re-creates the state file of dump text in sub: its path and the
    offsets it holds for st_orders (partition → next offset)."""
    state = os.path.join(sub, "st.db")
    db = sqlite3.connect(state)
    db.executescript(text)
    held = dict(db.execute("SELECT partition, next_offset FROM eddy_offsets WHERE topic = 'st_orders'").fetchall())
    db.close()
    return state, held


def fill_read(bootstrap, held, junk):
    """Fills st_orders up to the offsets the state says were read, with junk
    records: counting them would show the state was ignored."""
    produce(bootstrap, "st_orders", [Rec(value=json.dumps(junk).encode(), partition=p) for p, n in sorted(held.items()) for _ in range(n)])


def corpus(eddy, workdir):
    files = sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), "state_corpus", "*.sql")))
    check(files, "no state files in state_corpus/")
    for dump in files:
        name = os.path.splitext(os.path.basename(dump))[0]
        sub = os.path.join(workdir, name)
        os.mkdir(sub)
        with open(dump) as f:
            text = f.read()
        if "\n-- job: dedup" in text:
            corpus_dedup(eddy, sub, name, text)
            continue
        if "\n-- job: topn" in text:
            corpus_topn(eddy, sub, name, text)
            continue
        saved = json.loads(next(line[len("-- table: "):] for line in text.splitlines() if line.startswith("-- table: ")))
        state, held = restore_dump(sub, text)
        with Broker(eddy, sub, topics={"st_orders": len(held), "st_sum": 1}) as b:
            fill_read(b.bootstrap, held, {"order_id": -1, "user_id": 0, "amount": 0.0, "region": "junk"})
            new = orders(5000, 150)
            produce(b.bootstrap, "st_orders", [Rec(value=json.dumps(r).encode()) for r in new])
            r = run_script(eddy, b.bootstrap, sub, "job", script(), state)
            check("cannot follow" not in r.err, "%s: the saved state was refused:\n%s" % (name, r.err))
            got = fold_upsert(read_topic(b.bootstrap, "st_sum"), "st_sum")
            want = {ukey(region=k): {"region": k, "n": v} for k, v in saved.items()}
            for k, v in expected(new).items():
                want.setdefault(k, {"region": v["region"], "n": 0})["n"] += v["n"]
            check(got == want, "%s: st_sum is %s, expected the saved counts plus the new orders: %s"
                  % (name, sorted(got.values(), key=str), sorted(want.values(), key=str)))
            step("%s: restored and carried on" % name)


def corpus_dedup(eddy, sub, name, text):
    """A dedup state file: the ids it saw must never come out again, over
    two runs (the first restores the dump, the second what the first wrote)."""
    seen = set(json.loads(next(line[len("-- seen: "):] for line in text.splitlines() if line.startswith("-- seen: "))))
    state, held = restore_dump(sub, text)
    with Broker(eddy, sub, topics={"st_orders": len(held), "st_first": 1}) as b:
        fill_read(b.bootstrap, held, {"order_id": -1, "user_id": 0, "amount": 0.0, "region": "junk"})
        out = 0
        for run, ids in enumerate([sorted(seen)[:50] + list(range(10000, 10100)), list(range(10050, 10150)) + sorted(seen)[-20:]]):
            produce(b.bootstrap, "st_orders", [Rec(value=json.dumps({"order_id": i, "user_id": 1, "amount": 1.0, "region": "eu"}).encode())
                                               for i in ids])
            r = run_bounded(eddy, b.bootstrap, write_file(sub, "dedup.sql", DEDUP), sub, state=state)
            check("cannot follow" not in r.err, "%s: the saved state was refused:\n%s" % (name, r.err))
            rows = [json.loads(m.value) for m in read_topic(b.bootstrap, "st_first")]
            new = [x["order_id"] for x in rows[out:]]
            out = len(rows)
            want = sorted(set(ids) - seen)
            check(sorted(new) == want, "%s, run %d: st_first got %d ids %s…, expected the %d never seen %s…"
                  % (name, run + 1, len(new), sorted(new)[:8], len(want), want[:8]))
            seen |= set(ids)
        step("%s: restored, deduplicated against the saved ids, and again from what it wrote" % name)


# The corpus's third job: Top-2 users by sales per region over an updating
# aggregate, whose state layout changed (the rows below the top moved out of
# the partition's row).  Its dumps say "-- job: topn".
TOPN = """CREATE TABLE st_orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING);
CREATE TABLE st_top (region STRING, rn BIGINT, user_id BIGINT, total DOUBLE, PRIMARY KEY (region, rn) NOT ENFORCED);
INSERT INTO st_top SELECT region, rn, user_id, total FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY region ORDER BY total DESC) AS rn
  FROM (SELECT region, user_id, SUM(amount) AS total FROM st_orders GROUP BY region, user_id)) WHERE rn <= 2;
"""


def topn_orders(first, count):
    return [{"order_id": i, "user_id": (i * 7) % 30, "amount": float(1 + (i * 13) % 50), "region": REGIONS[i % 4]}
            for i in range(first, first + count)]


def top2(rows):
    sums = collections.defaultdict(float)
    for r in rows:
        sums[(r["region"], r["user_id"])] += r["amount"]
    out = {}
    for reg in sorted({k[0] for k in sums}):
        ranked = sorted(((t, u) for (g, u), t in sums.items() if g == reg), key=lambda x: -x[0])
        if len(ranked) > 2 and ranked[1][0] == ranked[2][0]:
            raise AssertionError("a tie at rank 2 in the test data")
        for i, (t, u) in enumerate(ranked[:2]):
            out[(reg, i + 1)] = (u, t)
    return out


def corpus_topn(eddy, sub, name, text):
    """A Top-N state file: the two best users of each region get a large
    negative order, so the best of the rows below the top (restored from
    the file) move up; the sink's ranks must be those of all the orders."""
    old = topn_orders(0, 200)
    best = top2(old)
    state, held = restore_dump(sub, text)
    with Broker(eddy, sub, topics={"st_orders": len(held), "st_top": 1}) as b:
        fill_read(b.bootstrap, held, {"order_id": -1, "user_id": 99, "amount": 1e9, "region": "junk"})
        new = [{"order_id": 1000 + i, "user_id": u, "amount": -1000.0, "region": reg} for i, ((reg, _), (u, _)) in enumerate(sorted(best.items()))]
        produce(b.bootstrap, "st_orders", [Rec(value=json.dumps(r).encode()) for r in new])
        r = run_bounded(eddy, b.bootstrap, write_file(sub, "topn.sql", TOPN), sub, state=state)
        check("cannot follow" not in r.err, "%s: the saved state was refused:\n%s" % (name, r.err))
        got = {(row["region"], row["rn"]): (row["user_id"], row["total"]) for row in fold_upsert(read_topic(b.bootstrap, "st_top"), "st_top").values()}
        want = top2(old + new)
        check(got == want, "%s: st_top is %s, expected the top 2 of all orders %s" % (name, sorted(got.items()), sorted(want.items())))
        # again, from the state file the first run rewrote in the new layout
        more = [{"order_id": 2000 + i, "user_id": u, "amount": -1000.0, "region": reg}
                for i, ((reg, _), (u, _)) in enumerate(sorted(want.items()))]
        produce(b.bootstrap, "st_orders", [Rec(value=json.dumps(r).encode()) for r in more])
        run_bounded(eddy, b.bootstrap, write_file(sub, "topn.sql", TOPN), sub, state=state)
        got = {(row["region"], row["rn"]): (row["user_id"], row["total"]) for row in fold_upsert(read_topic(b.bootstrap, "st_top"), "st_top").values()}
        want = top2(old + new + more)
        check(got == want, "%s, second run: st_top is %s, expected %s" % (name, sorted(got.items()), sorted(want.items())))
        step("%s: restored; the rows below the top moved up when the top users fell, twice" % name)


if __name__ == "__main__":
    main({"harmless": harmless_and_incompatible, "perjob": per_job, "tampered": tampered, "diskfull": disk_full, "corpus": corpus})
