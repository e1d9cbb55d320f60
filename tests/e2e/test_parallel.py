"""e2e/parallel_* — `eddy run --parallelism N`: a job run as tasks, one per
partition of its input topics, on N worker threads (docs/scaling.md).

  stateless  a filter and projection of 20,000 reference orders (orders_raw,
             4 partitions) into an append topic, bounded, with --parallelism
             1, 2 and 3: every sink holds exactly the rows Python computes
             from the records produced (as a multiset); parallelism 1 keeps
             one state file, 2 and 3 a file per task in STATE.d/; a second
             bounded run after 2,000 more orders reads only those (each task
             resumes from its own checkpoint), and a run with the other
             parallelism is refused, naming the state it found; a malformed
             record in partition 2 fails the job, naming stage 0, task 2.
  metrics    the same job unbounded with --parallelism 2 and --http: /jobs
             shows 4 tasks on 2 workers whose records sum to the job's, and
             their lag; /metrics has eddy_task_records_in_total per stage,
             task and worker; SIGTERM stops every task cleanly.
  kill       orders stream in (30,000 at 20,000/s) while the stateless job
             writes an upsert topic keyed by order_id with --parallelism 2;
             kill -9 in the middle, restart: the final table is exactly the
             one Python computes (each task resumes from its own offsets).
  groupby    GROUP BY user_id (COUNT, SUM) of 20,000 orders with
             --parallelism 1, 2 and 3: the same final upsert table, equal to
             Python's; with 2 and 3 the plan is cut into two stages (a local
             pre-aggregation, the exchange through an internal topic, the
             global aggregate), 4 tasks each; run again with --reset-state,
             the same table (the internal topic's old rows are not read).
  groupby_kill  the same GROUP BY with --parallelism 2 while 30,000 orders
             stream in; kill -9 in the middle, restart: the final table is
             exact (nothing lost or counted twice through the exchange).
  fresh_reader  the same GROUP BY with --parallelism 2 over 6,000 orders,
             stopped; the exchange readers' state files removed (readers
             killed before their first checkpoint: their writers' rows are
             committed and will not come again); 2,000 more orders and a
             restart: the readers read the internal topic from where the
             job's first run began (recorded in every task's state file),
             not from where the restart found it, so the table is exact.
  shuffle_latency  the same GROUP BY with --parallelism 2 and a 60 s
             checkpoint interval, unbounded, over 5,000 orders and 2,000
             more produced while it runs: the table is exact within 20 s
             (a task that has read all its input commits its exchange rows
             early, instead of holding them back for the interval).
"""
import collections
import json
import math
import os
import re
import sys
import time
import urllib.request

from eddyharness import (Broker, Job, Rec, check, check_table, fold_upsert, gen_orders, main, produce, read_topic,
                         run_bounded, start_gen_orders, finish, step, ukey, wait_for, write_file)

SOURCE = """
CREATE TABLE orders_raw (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING)
  WITH ('scan.startup.mode' = 'earliest-offset');
"""

STATELESS = SOURCE + """
CREATE TABLE {sink} (order_id BIGINT, user_id BIGINT, cents BIGINT, region STRING);
INSERT INTO {sink}
SELECT order_id, user_id, CAST(amount * 100 AS BIGINT), UPPER(region) FROM orders_raw WHERE amount > 50;
"""

UPSERT = SOURCE + """
SET 'execution.checkpointing.interval' = '300ms';
CREATE TABLE big_orders (order_id BIGINT PRIMARY KEY NOT ENFORCED, user_id BIGINT, cents BIGINT, region STRING)
  WITH ('changelog.mode' = 'upsert');
INSERT INTO big_orders
SELECT order_id, user_id, CAST(amount * 100 AS BIGINT), UPPER(region) FROM orders_raw WHERE amount > 50;
"""

GROUPBY = SOURCE + """
CREATE TABLE {sink} (user_id BIGINT PRIMARY KEY NOT ENFORCED, n BIGINT, total_cents BIGINT)
  WITH ('changelog.mode' = 'upsert');
INSERT INTO {sink}
SELECT user_id, COUNT(*), SUM(CAST(amount * 100 AS BIGINT)) FROM orders_raw GROUP BY user_id;
"""


def orders(bs):
    return [json.loads(m.value) for m in read_topic(bs, "orders_raw")]


def expected_rows(os_):
    """The stateless query, computed here: (order_id, user_id, cents, region)."""
    return collections.Counter((o["order_id"], o["user_id"], int(o["amount"] * 100), o["region"].upper())
                               for o in os_ if o["amount"] > 50)


def sink_rows(bs, topic):
    out = collections.Counter()
    for m in read_topic(bs, topic):
        v = json.loads(m.value)
        out[(v["order_id"], v["user_id"], v["cents"], v["region"])] += 1
    return out


def check_counter(what, actual, expected):
    if actual == expected:
        step("%s: %d rows as expected" % (what, sum(actual.values())))
        return
    missing = expected - actual
    extra = actual - expected
    check(False, "%s: %d rows missing (e.g. %s), %d unexpected (e.g. %s)"
          % (what, sum(missing.values()), list(missing)[:3], sum(extra.values()), list(extra)[:3]))


def task_files(d):
    return sorted(f for f in os.listdir(d) if f.endswith(".db")) if os.path.isdir(d) else []


def by_user_want(bs):
    """GROUP BY user_id's final table over every order in orders_raw."""
    want = {}
    for o in orders(bs):
        n, c = want.get(o["user_id"], (0, 0))
        want[o["user_id"]] = (n + 1, c + int(o["amount"] * 100))
    return {ukey(user_id=u): {"user_id": u, "n": n, "total_cents": c} for u, (n, c) in want.items()}


def run_to_table(eddy, bs, path, workdir, name, what, timeout, meanwhile=None):
    """Runs the job with 2 worker threads (meanwhile() called once it has
    started) until its table by_user is by_user_want of every order, then
    stops it cleanly (exit 0); returns that table."""
    job = Job(eddy, bs, path, workdir, name, extra=["--parallelism", "2"])
    try:
        if meanwhile:
            meanwhile()
        want = by_user_want(bs)
        wait_for(what, lambda: fold_upsert(read_topic(bs, "by_user")) == want, job=job, timeout=timeout)
        rc, err = job.term()
        check(rc == 0, "exit %s:\n%s" % (rc, err))
    finally:
        job.kill()
    return want


def test_stateless(eddy, workdir):
    with Broker(eddy, workdir, {"orders_raw": 4}) as b:
        bs = b.bootstrap
        gen_orders(eddy, bs, "orders_raw", 20000, seed=7)
        for par in (1, 2, 3):
            sink = "big_p%d" % par
            path = write_file(workdir, "%s.sql" % sink, STATELESS.format(sink=sink))
            r = run_bounded(eddy, bs, path, cwd=workdir, extra=["--parallelism", str(par)])
            check_counter("parallelism %d" % par, sink_rows(bs, sink), expected_rows(orders(bs)))
            state = os.path.join(workdir, "%s.db" % sink)
            if par == 1:
                check(os.path.isfile(state) and not os.path.exists(state + ".d"),
                      "parallelism 1 keeps one state file %s (and no directory)" % state)
                check("runs as" not in r.err, "parallelism 1 says it runs as tasks:\n%s" % r.err)
            else:
                check(task_files(state + ".d") == ["s0-t%d.db" % t for t in range(4)],
                      "parallelism %d: the task state files are %s, expected s0-t0..3.db" % (par, task_files(state + ".d")))
                check(not os.path.exists(state), "parallelism %d wrote the single state file %s" % (par, state))
                check("runs as 4 tasks on %d worker threads" % par in r.err,
                      "parallelism %d: the run does not say it runs as 4 tasks on %d threads:\n%s" % (par, par, r.err))
        # More orders: each task resumes from its own checkpoint and reads only them.
        before = len(orders(bs))
        gen_orders(eddy, bs, "orders_raw", 2000, seed=8)
        for par in (1, 2, 3):
            sink = "big_p%d" % par
            r = run_bounded(eddy, bs, os.path.join(workdir, "%s.sql" % sink), cwd=workdir, extra=["--parallelism", str(par)])
            check(re.search(r"finished: 2000 records in", r.err), "parallelism %d after a restart did not read exactly the 2000 new "
                  "orders:\n%s" % (par, r.err))
            check_counter("parallelism %d after more orders" % par, sink_rows(bs, sink), expected_rows(orders(bs)))
        check(len(orders(bs)) == before + 2000, "orders_raw holds %d orders" % len(orders(bs)))
        # The other parallelism over saved state is refused, naming what it found.
        r = run_bounded(eddy, bs, os.path.join(workdir, "big_p1.sql"), cwd=workdir, extra=["--parallelism", "2"], expect=1)
        check("holds the state of this job run as one task" in r.err, "parallel run over a one-task state file:\n%s" % r.err)
        r = run_bounded(eddy, bs, os.path.join(workdir, "big_p2.sql"), cwd=workdir, extra=["--parallelism", "1"], expect=1)
        check("holds the state of this job run as 4 tasks" in r.err, "one-job run over a task state directory:\n%s" % r.err)
        # A task that fails stops the job, its error naming the stage, the task and the record.
        produce(bs, "orders_raw", [Rec(value="{not json", partition=2)])
        r = run_bounded(eddy, bs, os.path.join(workdir, "big_p2.sql"), cwd=workdir, extra=["--parallelism", "2"], expect=1)
        check(re.search(r"stage 0, task 2: .*partition 2.*offset", r.err), "a malformed record in partition 2 did not fail the job "
              "naming stage 0, task 2 and the record:\n%s" % r.err)


def http(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read().decode()


def test_metrics(eddy, workdir):
    with Broker(eddy, workdir, {"orders_raw": 4}) as b:
        bs = b.bootstrap
        gen_orders(eddy, bs, "orders_raw", 10000, seed=9)
        path = write_file(workdir, "m.sql", STATELESS.format(sink="big_m"))
        job = Job(eddy, bs, path, workdir, "metrics", extra=["--parallelism", "2", "--http", "127.0.0.1:0"])
        try:
            wait_for("the monitor's address", lambda: re.search(r"serving (http://127\.0\.0\.1:[0-9]+/)", job.stderr()), job=job)
            base = re.search(r"serving (http://127\.0\.0\.1:[0-9]+/)", job.stderr()).group(1)

            def jobs():
                return json.loads(http(base + "jobs"))["jobs"]
            wait_for("every order read", lambda: jobs() and jobs()[0]["records_in"] == 10000 and jobs()[0]["lag"] == 0, job=job)
            j = jobs()[0]
            check(j["workers"] == 2, "/jobs: workers %r, expected 2" % j["workers"])
            tasks = j["tasks"]
            check(sorted((t["stage"], t["task"]) for t in tasks) == [(0, t) for t in range(4)], "/jobs: tasks %r" % tasks)
            check(sorted(t["worker"] for t in tasks) == [0, 0, 1, 1], "/jobs: tasks not dealt round-robin to 2 workers: %r" % tasks)
            check(sum(t["records_in"] for t in tasks) == j["records_in"], "/jobs: the tasks' records do not sum to the job's: %r" % tasks)
            check(sum(t["records_out"] for t in tasks) == j["records_out"], "/jobs: the tasks' records out do not sum to the job's")
            check(all(t["lag"] == 0 and t["state"] == "RUNNING" and t["records_in"] > 0 for t in tasks),
                  "/jobs: every task should run with lag 0 and records: %r" % tasks)
            check(len(j["partitions"]) == 4, "/jobs: the job shows %d source partitions, expected 4" % len(j["partitions"]))
            text = http(base + "metrics")
            per_task = re.findall(r'^eddy_task_records_in_total\{job="big_m",stage="0",task="(\d)",worker="(\d)"\} (\d+)$', text, re.M)
            check(len(per_task) == 4 and sum(int(n) for _, _, n in per_task) == 10000,
                  "/metrics: eddy_task_records_in_total per task: %r" % per_task)
            check(re.search(r'^eddy_job_records_in_total\{job="big_m"\} 10000$', text, re.M),
                  "/metrics: the job's records_in is not the sum of its tasks'")
            rc, err = job.term()
            check(rc == 0, "the parallel job did not stop cleanly (exit %s):\n%s" % (rc, err))
        finally:
            job.kill()
        check_counter("parallelism 2, unbounded", sink_rows(bs, "big_m"), expected_rows(orders(bs)))


def test_staged_metrics(eddy, workdir):
    """A job cut into stages (GROUP BY over an exchange) sums each stage's
    copies of an operator into the whole plan's: the source's rows are the
    orders, the aggregate's rows out its changes, its keys the users."""
    with Broker(eddy, workdir, {"orders_raw": 4}) as b:
        bs = b.bootstrap
        gen_orders(eddy, bs, "orders_raw", 10000, seed=21, extra=["--users", "500"])
        users = len({o["user_id"] for o in orders(bs)})
        path = write_file(workdir, "sm.sql", GROUPBY.format(sink="by_user_m"))
        job = Job(eddy, bs, path, workdir, "staged", extra=["--parallelism", "2", "--http", "127.0.0.1:0"])
        try:
            wait_for("the monitor's address", lambda: re.search(r"serving (http://127\.0\.0\.1:[0-9]+/)", job.stderr()), job=job)
            base = re.search(r"serving (http://127\.0\.0\.1:[0-9]+/)", job.stderr()).group(1)

            def op(name, metric):
                found = re.findall(r'^%s\{job="by_user_m",operator_id="\d+",operator="%s"\} (\S+)$' % (metric, name),
                                   http(base + "metrics"), re.M)
                return [float(v) for v in found]

            def settled():
                return op("KafkaSource", "eddy_operator_rows_out_total") == [10000.0] and \
                    op("GroupAggregate", "eddy_operator_state_keys") == [float(users)]
            wait_for("the stages' operator counters summed", settled, job=job, timeout=30)
            aggs_in = op("GroupAggregate", "eddy_operator_rows_in_total")
            check(len(aggs_in) == 1 and 0 < aggs_in[0] <= 10000,
                  "/metrics: the GroupAggregate's rows in (partial rows from the tasks' local aggregates) %r" % aggs_in)
            sink_in = op("KafkaSink", "eddy_operator_rows_in_total")
            check(len(sink_in) == 1 and sink_in[0] >= users, "/metrics: the sink's rows in %r, expected at least one per user (%d)" % (sink_in, users))
            step("staged job: source %d rows out, aggregate %d rows in and %d keys, sink %d rows in"
                 % (10000, aggs_in[0], users, sink_in[0]))
            rc, err = job.term()
            check(rc == 0, "the staged job did not stop cleanly (exit %s):\n%s" % (rc, err))
        finally:
            job.kill()


def test_kill(eddy, workdir):
    with Broker(eddy, workdir, {"orders_raw": 4, "big_orders": 4}) as b:
        bs = b.bootstrap
        path = write_file(workdir, "kill.sql", UPSERT)
        gen = start_gen_orders(eddy, bs, "orders_raw", 30000, workdir, seed=11, rate=20000)
        job = Job(eddy, bs, path, workdir, "kill1", extra=["--parallelism", "2"])
        state = os.path.join(workdir, "big_orders.db.d")
        try:
            wait_for("a quarter of the orders read and checkpointed",
                     lambda: len(task_files(state)) == 4 and len(read_topic(bs, "big_orders")) > 5000, job=job, timeout=30)
            job.kill()   # kill -9: no flush, no checkpoint
            step("killed the parallel job after %d sink records" % len(read_topic(bs, "big_orders")))
        finally:
            job.kill()
        job = Job(eddy, bs, path, workdir, "kill2", extra=["--parallelism", "2"])
        try:
            finish(gen, "eddy gen")
            want = {ukey(order_id=o): {"order_id": o, "user_id": u, "cents": c, "region": r}
                    for (o, u, c, r) in expected_rows(orders(bs))}
            wait_for("the final table", lambda: fold_upsert(read_topic(bs, "big_orders")) == want, job=job, timeout=40)
            check("resumes from" in job.stderr(), "the restarted job did not resume from its tasks' state:\n%s" % job.stderr())
            rc, err = job.term()
            check(rc == 0, "exit %s:\n%s" % (rc, err))
        finally:
            job.kill()
        check_table("big_orders after kill -9 and restart", fold_upsert(read_topic(bs, "big_orders")), want)


def test_groupby(eddy, workdir):
    with Broker(eddy, workdir, {"orders_raw": 4}) as b:
        bs = b.bootstrap
        gen_orders(eddy, bs, "orders_raw", 20000, seed=12, extra=["--users", "3000"])
        want = by_user_want(bs)
        for par in (1, 2, 3):
            sink = "by_user_p%d" % par
            path = write_file(workdir, "%s.sql" % sink, GROUPBY.format(sink=sink))
            r = run_bounded(eddy, bs, path, cwd=workdir, extra=["--parallelism", str(par)])
            check(re.search(r"finished: 20000 records in", r.err),
                  "parallelism %d: the job's records in are not its table's 20000 (an exchange's records counted?):\n%s" % (par, r.err))
            if par > 1:
                check("runs as 8 tasks on %d worker threads" % par in r.err,
                      "parallelism %d: not run as 8 tasks (2 stages of 4):\n%s" % (par, r.err))
                step("parallelism %d: %s" % (par, "; ".join(l for l in r.err.splitlines() if "runs as" in l)))
            check_table("GROUP BY user_id, parallelism %d" % par, fold_upsert(read_topic(bs, sink)), want)
        # Started over (--reset-state): the internal topic holds the first run's
        # partial rows; the new run's readers must start after them.
        r = run_bounded(eddy, bs, os.path.join(workdir, "by_user_p2.sql"), cwd=workdir, extra=["--parallelism", "2", "--reset-state"])
        check(re.search(r"finished: 20000 records in", r.err), "the run started over did not read the 20000 orders:\n%s" % r.err)
        check_table("GROUP BY user_id, parallelism 2, started over", fold_upsert(read_topic(bs, "by_user_p2")), want)


def test_groupby_kill(eddy, workdir):
    with Broker(eddy, workdir, {"orders_raw": 4, "by_user": 4}) as b:
        bs = b.bootstrap
        sql = GROUPBY.format(sink="by_user").replace("CREATE TABLE by_user", "SET 'execution.checkpointing.interval' = '300ms';\nCREATE TABLE by_user", 1)
        path = write_file(workdir, "groupby_kill.sql", sql)
        gen = start_gen_orders(eddy, bs, "orders_raw", 30000, workdir, seed=13, rate=10000)
        job = Job(eddy, bs, path, workdir, "gkill1", extra=["--parallelism", "2"])
        state = os.path.join(workdir, "by_user.db.d")
        try:
            wait_for("the job to have written some results",
                     lambda: len(task_files(state)) == 8 and len(read_topic(bs, "by_user")) > 1000, job=job, timeout=30)
            check("runs as 8 tasks on 2 worker threads" in job.stderr(), "not run as 8 tasks:\n%s" % job.stderr())
            job.kill()   # kill -9: no flush, no checkpoint, no commit marker
            step("killed the parallel GROUP BY after %d sink records" % len(read_topic(bs, "by_user")))
        finally:
            job.kill()
        want = run_to_table(eddy, bs, path, workdir, "gkill2", "the final table", 60, meanwhile=lambda: finish(gen, "eddy gen"))
        check_table("GROUP BY user_id after kill -9 and restart", fold_upsert(read_topic(bs, "by_user")), want)


def test_fresh_reader(eddy, workdir):
    with Broker(eddy, workdir, {"orders_raw": 4, "by_user": 4}) as b:
        bs = b.bootstrap
        sql = GROUPBY.format(sink="by_user").replace("CREATE TABLE by_user", "SET 'execution.checkpointing.interval' = '300ms';\nCREATE TABLE by_user", 1)
        path = write_file(workdir, "fresh_reader.sql", sql)
        state = os.path.join(workdir, "by_user.db.d")

        gen_orders(eddy, bs, "orders_raw", 6000, seed=14, extra=["--users", "500"])
        run_to_table(eddy, bs, path, workdir, "first", "the first run's table", 40)
        readers = [f for f in os.listdir(state) if f.startswith("s1-")]
        check(len([f for f in readers if f.endswith(".db")]) == 4, "not 4 reader tasks (s1-t*.db): %s" % sorted(os.listdir(state)))
        for f in readers:
            os.unlink(os.path.join(state, f))
        gen_orders(eddy, bs, "orders_raw", 2000, seed=15, extra=["--users", "500"])
        want = run_to_table(eddy, bs, path, workdir, "again", "the table after the restart with fresh readers", 40)
        check_table("GROUP BY user_id, readers restarted without a checkpoint", fold_upsert(read_topic(bs, "by_user")), want)


def test_shuffle_latency(eddy, workdir):
    with Broker(eddy, workdir, {"orders_raw": 4, "by_user": 4}) as b:
        bs = b.bootstrap
        sql = GROUPBY.format(sink="by_user").replace("CREATE TABLE by_user", "SET 'execution.checkpointing.interval' = '60s';\nCREATE TABLE by_user", 1)
        path = write_file(workdir, "shuffle_latency.sql", sql)
        gen_orders(eddy, bs, "orders_raw", 5000, seed=16, extra=["--users", "400"])
        t0 = time.time()
        run_to_table(eddy, bs, path, workdir, "latency", "the table, long before the 60 s checkpoint interval", 20,
                     meanwhile=lambda: gen_orders(eddy, bs, "orders_raw", 2000, seed=17, extra=["--users", "400"]))
        step("the table of 7000 orders through the exchange in %.1f s with a 60 s checkpoint interval" % (time.time() - t0))


if __name__ == "__main__":
    main({"stateless": test_stateless, "metrics": test_metrics, "kill": test_kill, "groupby": test_groupby,
          "groupby_kill": test_groupby_kill, "fresh_reader": test_fresh_reader, "staged_metrics": test_staged_metrics,
          "shuffle_latency": test_shuffle_latency})
