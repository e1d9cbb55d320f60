"""e2e/group_* — `eddy run --group NAME`: several processes share one job
through Kafka consumer groups, a task's state following it through its
changelog topic (docs/scaling.md).  Every expected table is computed here
from the orders read back from orders_raw.  The groups use
--session-timeout 4000 (what the development broker accepts).

  same       GROUP BY user_id (COUNT, SUM) of 20,000 orders, run by one
             process of a group and by two processes of another: both give
             Python's final upsert table, and in the second each process
             ran some of the tasks.  A job whose changelog topic was
             created with fewer partitions than its stage's tasks is
             refused, naming the topic; --bounded, --reset-state and
             --state none with --group are refused.
  reference  the reference job (sql/orders.sql: COUNT, SUM, ROUND(AVG) per
             region over an 8-partition orders_raw), by one process and by
             two: both give the expected table; its stage-0 changelog needs
             8 partitions, so the broker pre-creates it.
  kill       two processes share GROUP BY user_id while 30,000 orders stream
             in; one is killed with SIGKILL; the other takes its tasks over
             after the session timeout (restoring their state from the
             changelogs): the final table is exact.  The killed one is
             started again in its directory: it takes tasks back, none of
             them from a state file kept (one the kill left behind is not
             marked clean: when the group gives it its old tasks, it
             restores them from the changelogs), and after 4,000 more
             orders the table is exact again.
  three      three processes share GROUP BY user_id (6 partitions) while
             30,000 orders stream in; one is killed with SIGKILL, a fourth
             is started, then one of the others is stopped cleanly and
             4,000 more orders come: the table is exact after each.
  join       orders JOIN an upsert table of users (some moved to another
             tier, some deleted) GROUP BY tier: four stages, one process
             and two give the table computed from the users' last rows.
  window     a TUMBLE window aggregation over the record timestamps, shuffled
             by region (a closing record on every partition fires the
             windows): one process and two give the windows computed here.
  rebalance  one process runs GROUP BY user_id while orders stream in; a
             second one started later takes some tasks over (the first
             gives them back); then the second is stopped cleanly and the
             first takes them back, and 5,000 more orders come: the final
             table is exact at each end.  The exchange's readers of the
             later process start where the first process found the internal
             topic (the committed offsets of group g-by_user-starts), not
             where the later one found it.
"""
import json
import math
import os
import re

from eddyharness import (REPO, Broker, Job, OneOf, Rec, check, fold_upsert, gen_orders, main, produce, read_topic, round_half_up, run,
                         start_gen_orders, finish, step, tables_match, ukey, wait_for, write_file, check_table)

GROUP = ["--session-timeout", "4000"]

GROUPBY = """
CREATE TABLE orders_raw (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING)
  WITH ('scan.startup.mode' = 'earliest-offset');
SET 'execution.checkpointing.interval' = '300ms';
CREATE TABLE {sink} (user_id BIGINT PRIMARY KEY NOT ENFORCED, n BIGINT, total_cents BIGINT)
  WITH ('changelog.mode' = 'upsert');
INSERT INTO {sink}
SELECT user_id, COUNT(*), SUM(CAST(amount * 100 AS BIGINT)) FROM orders_raw GROUP BY user_id;
"""


def orders(bs):
    return [json.loads(m.value) for m in read_topic(bs, "orders_raw")]


def by_user(os_):
    """GROUP BY user_id, computed here."""
    want = {}
    for o in os_:
        n, c = want.get(o["user_id"], (0, 0))
        want[o["user_id"]] = (n + 1, c + int(o["amount"] * 100))
    return {ukey(user_id=u): {"user_id": u, "n": n, "total_cents": c} for u, (n, c) in want.items()}


def by_region(os_, tol):
    """The reference job, computed here (doubles within tol: the sums' order is the tasks')."""
    n, s = {}, {}
    for o in os_:
        n[o["region"]] = n.get(o["region"], 0) + 1
        s[o["region"]] = s.get(o["region"], 0.0) + o["amount"]
    out = {}
    for r in n:
        avg = s[r] / n[r]
        d = abs(avg) * tol
        out[ukey(region=r)] = {"region": r, "total_orders": n[r], "total_sales": math.fsum(o["amount"] for o in os_ if o["region"] == r),
                               "avg_order_value": OneOf(round_half_up(avg - d, 2), round_half_up(avg, 2), round_half_up(avg + d, 2))}
    return out


def group_job(eddy, bs, path, workdir, name, group):
    """`eddy run --group GROUP` of path in its own directory (its own state files, as on another machine)."""
    d = os.path.join(workdir, name)
    os.makedirs(d, exist_ok=True)
    return Job(eddy, bs, path, d, name, extra=["--group", group] + GROUP)


def taken(job):
    """The tasks a process has taken so far: [(stage, task, how)]."""
    return re.findall(r"stage (\d+), task (\d+): taken \(group '[^']*'\), (state file kept|state restored|no state)", job.stderr())


def committed(bs, group, topic, n):
    """The committed offsets of a consumer group for partitions 0..n-1 of topic (None where none)."""
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": bs, "group.id": group, "enable.auto.commit": False})
    try:
        got = c.committed([TopicPartition(topic, p) for p in range(n)], timeout=10)
    finally:
        c.close()
    return [tp.offset if tp.offset >= 0 else None for tp in got]


def table_of(bs, sink):
    return lambda: fold_upsert(read_topic(bs, sink))


def stop_all(jobs):
    for j in jobs:
        rc, err = j.term(timeout=30)
        check(rc == 0, "%s: exit %s:\n%s" % (j.name, rc, err[-3000:]))


def run_shared(eddy, bs, sql, workdir, sink, group, nproc, want, rel_tol=0.0, timeout=40):
    """nproc processes of group share the job until the sink holds want; each ran some tasks."""
    path = write_file(workdir, "%s.sql" % sink, sql)
    jobs = [group_job(eddy, bs, path, workdir, "%s_%d" % (sink, k), group) for k in range(nproc)]
    try:
        wait_for("%s: the final table (%d process%s)" % (sink, nproc, "es" if nproc > 1 else ""),
                 tables_match((sink, table_of(bs, sink), want), rel_tol=rel_tol), job=jobs[0], timeout=timeout)
        for j in jobs:
            check(taken(j), "%s took no task:\n%s" % (j.name, j.stderr()[-3000:]))
            step("%s took %s" % (j.name, ", ".join("s%s-t%s" % t[:2] for t in taken(j))))
        stop_all(jobs)
    finally:
        for j in jobs:
            j.kill()
    check_table("%s, %d process%s" % (sink, nproc, "es" if nproc > 1 else ""), fold_upsert(read_topic(bs, sink)), want, rel_tol)


def test_same(eddy, workdir):
    with Broker(eddy, workdir, {"orders_raw": 4, "by_user_r-s1-changelog": 2}) as b:
        bs = b.bootstrap
        gen_orders(eddy, bs, "orders_raw", 20000, seed=21, extra=["--users", "3000"])
        want = by_user(orders(bs))
        run_shared(eddy, bs, GROUPBY.format(sink="by_user_1"), workdir, "by_user_1", "one", 1, want)
        run_shared(eddy, bs, GROUPBY.format(sink="by_user_2"), workdir, "by_user_2", "two", 2, want)
        # A changelog topic with fewer partitions than its stage's tasks.
        path = write_file(workdir, "by_user_r.sql", GROUPBY.format(sink="by_user_r"))
        job = group_job(eddy, bs, path, workdir, "refused", "three")
        rc = job.wait(30)
        err = job.stderr()
        check(rc == 1 and "internal topic 'by_user_r-s1-changelog' has 2 partitions, but stage 1 runs as 4 tasks" in err,
              "a changelog topic of 2 partitions for 4 tasks was not refused naming it (exit %s):\n%s" % (rc, err[-2000:]))
        job.kill()
        # What a group cannot do is refused before anything runs.
        for flags, why in ((["--bounded"], "not with --bounded"), (["--reset-state"], "not with --reset-state"),
                           (["--state", "none"], "not with --state none")):
            r = run([eddy, "run", "--bootstrap", bs, "--group", "four"] + flags + [path], cwd=workdir, expect=2)
            check(why in r.err, "--group %s: the refusal does not say '%s':\n%s" % (" ".join(flags), why, r.err))


def test_reference(eddy, workdir):
    with open(os.path.join(REPO, "sql", "orders.sql")) as f:
        sql = f.read()
    tol = 1e-6
    topics = {"orders_raw": 8, "orders_summary-s0-changelog": 8}
    with Broker(eddy, workdir, topics) as b:
        bs = b.bootstrap
        gen_orders(eddy, bs, "orders_raw", 20000, seed=3)
        want = by_region(orders(bs), tol)
        run_shared(eddy, bs, sql, workdir, "orders_summary", "ref1", 1, want, rel_tol=tol)
    # the same on a new broker, shared by two processes
    with Broker(eddy, workdir, topics) as b:
        bs = b.bootstrap
        gen_orders(eddy, bs, "orders_raw", 20000, seed=3)
        want = by_region(orders(bs), tol)
        run_shared(eddy, bs, sql, workdir, "orders_summary", "ref2", 2, want, rel_tol=tol)


def test_kill(eddy, workdir):
    with Broker(eddy, workdir, {"orders_raw": 4, "by_user": 4}) as b:
        bs = b.bootstrap
        path = write_file(workdir, "by_user.sql", GROUPBY.format(sink="by_user"))
        a = group_job(eddy, bs, path, workdir, "a", "g")
        k = group_job(eddy, bs, path, workdir, "k", "g")
        k2 = None
        try:
            wait_for("both processes to hold tasks", lambda: taken(a) and taken(k), job=a, timeout=20)
            gen = start_gen_orders(eddy, bs, "orders_raw", 30000, workdir, seed=22, rate=5000)
            wait_for("results from both", lambda: len(read_topic(bs, "by_user")) > 3000, job=k, timeout=20)
            k.kill()   # kill -9: no flush, no last checkpoint, no leaving the group
            step("killed %s (it held %s) after %d sink records" % (k.name, ", ".join("s%s-t%s" % t[:2] for t in taken(k)),
                                                                  len(read_topic(bs, "by_user"))))
            finish(gen, "eddy gen")
            want = by_user(orders(bs))
            check(len(orders(bs)) == 30000, "orders_raw holds %d orders" % len(orders(bs)))
            wait_for("the final table after the takeover", tables_match(("by_user", table_of(bs, "by_user"), want)), job=a, timeout=40)
            check(re.search(r"taken \(group 'g'\), state restored from by_user-s\d-changelog", a.stderr()),
                  "the survivor did not restore a task's state from its changelog:\n%s" % a.stderr()[-3000:])
            check(len(set(t[:2] for t in taken(a))) == 8, "the survivor does not hold all 8 tasks: %s" % taken(a))
            # The killed process comes back (its state files as the kill left them, not marked clean):
            # it takes tasks again, restoring their state from the changelogs, and more orders come.
            k2 = group_job(eddy, bs, path, workdir, "k", "g")
            wait_for("the restarted process to take tasks", lambda: taken(k2), job=k2, timeout=20)
            step("the restarted process took %s" % ", ".join("s%s-t%s (%s)" % t for t in taken(k2)))
            check(all(how != "state file kept" for _, _, how in taken(k2)),
                  "the restarted process kept a state file the kill left behind: %s" % taken(k2))
            gen_orders(eddy, bs, "orders_raw", 4000, seed=25)
            want = by_user(orders(bs))
            wait_for("the final table after the restart", tables_match(("by_user", table_of(bs, "by_user"), want)), job=k2, timeout=40)
            stop_all([a, k2])
        finally:
            a.kill()
            k.kill()
            if k2:
                k2.kill()
        check_table("by_user after kill -9 of one of two processes", fold_upsert(read_topic(bs, "by_user")), want)


def test_three(eddy, workdir):
    with Broker(eddy, workdir, {"orders_raw": 6, "by_user": 4, "by_user-s0-changelog": 6}) as b:
        bs = b.bootstrap
        path = write_file(workdir, "by_user.sql", GROUPBY.format(sink="by_user"))
        a, bp, c = (group_job(eddy, bs, path, workdir, n, "g") for n in ("a", "b", "c"))
        d = None
        try:
            wait_for("all three processes to hold tasks", lambda: taken(a) and taken(bp) and taken(c), job=a, timeout=40)
            gen = start_gen_orders(eddy, bs, "orders_raw", 30000, workdir, seed=31, rate=5000)
            wait_for("results", lambda: len(read_topic(bs, "by_user")) > 2000, job=a, timeout=30)
            c.kill()   # kill -9 of one of three
            step("killed %s (it held %s)" % (c.name, ", ".join("s%s-t%s" % t[:2] for t in taken(c))))
            d = group_job(eddy, bs, path, workdir, "d", "g")   # a fourth, started later
            wait_for("the fourth process to take tasks", lambda: taken(d), job=d, timeout=40)
            step("the fourth process took %s" % ", ".join("s%s-t%s (%s)" % t for t in taken(d)))
            finish(gen, "eddy gen")
            want = by_user(orders(bs))
            check(len(orders(bs)) == 30000, "orders_raw holds %d orders" % len(orders(bs)))
            wait_for("the final table after the kill and the fourth process",
                     tables_match(("by_user", table_of(bs, "by_user"), want)), job=a, timeout=60)
            step("exact after kill -9 of one of three and a fourth started")
            rc, err = bp.term(timeout=30)   # one stopped cleanly: its tasks go to the others
            check(rc == 0, "%s: exit %s after SIGTERM:\n%s" % (bp.name, rc, err[-3000:]))
            gen_orders(eddy, bs, "orders_raw", 4000, seed=32)
            want = by_user(orders(bs))
            wait_for("the final table after a clean stop", tables_match(("by_user", table_of(bs, "by_user"), want)), job=a, timeout=60)
            step("exact after one of the three stopped cleanly and 4,000 more orders")
            stop_all([a, d])
        finally:
            for j in (a, bp, c, d):
                if j:
                    j.kill()
        check_table("by_user after a kill -9, a fourth process and a clean stop", fold_upsert(read_topic(bs, "by_user")), want)


JOIN = """
CREATE TABLE orders_raw (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING)
  WITH ('scan.startup.mode' = 'earliest-offset');
CREATE TABLE users (user_id BIGINT PRIMARY KEY NOT ENFORCED, name STRING, tier STRING)
  WITH ('changelog.mode' = 'upsert', 'scan.startup.mode' = 'earliest-offset');
SET 'execution.checkpointing.interval' = '300ms';
CREATE TABLE {sink} (tier STRING PRIMARY KEY NOT ENFORCED, n BIGINT, total_cents BIGINT)
  WITH ('changelog.mode' = 'upsert');
INSERT INTO {sink}
SELECT u.tier, COUNT(*), SUM(CAST(o.amount * 100 AS BIGINT))
FROM orders_raw o JOIN users u ON o.user_id = u.user_id
GROUP BY u.tier;
"""


def test_join(eddy, workdir):
    """A regular join of the orders with an upsert table of users (some
    users moved to another tier, some deleted), aggregated per tier: one
    process and two give the table computed here from the users' last
    rows."""
    tiers = ["gold", "silver", "bronze"]
    users, recs = {}, []
    for u in range(1, 1001):
        users[u] = tiers[u % 3]
        recs.append(Rec(key=json.dumps({"user_id": u}).encode(),
                        value=json.dumps({"user_id": u, "name": "u%d" % u, "tier": users[u]}).encode()))
    for u in range(1, 1001, 7):   # a new tier: the join retracts what it emitted under the old one
        users[u] = tiers[(u + 1) % 3]
        recs.append(Rec(key=json.dumps({"user_id": u}).encode(),
                        value=json.dumps({"user_id": u, "name": "u%d" % u, "tier": users[u]}).encode()))
    for u in range(5, 1001, 11):   # deleted: their orders leave the join
        users.pop(u, None)
        recs.append(Rec(key=json.dumps({"user_id": u}).encode(), value=None))
    with Broker(eddy, workdir, {"orders_raw": 4, "users": 4}) as b:
        bs = b.bootstrap
        gen_orders(eddy, bs, "orders_raw", 12000, seed=41, extra=["--users", "1000"])
        produce(bs, "users", recs)
        want = {}
        for o in orders(bs):
            t = users.get(o["user_id"])
            if t is None:
                continue
            n, c = want.get(t, (0, 0))
            want[t] = (n + 1, c + int(o["amount"] * 100))
        want = {ukey(tier=t): {"tier": t, "n": n, "total_cents": c} for t, (n, c) in want.items()}
        run_shared(eddy, bs, JOIN.format(sink="by_tier_1"), workdir, "by_tier_1", "j1", 1, want, timeout=60)
        run_shared(eddy, bs, JOIN.format(sink="by_tier_2"), workdir, "by_tier_2", "j2", 2, want, timeout=60)


WINDOW = """
CREATE TABLE orders_raw (
  order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING,
  ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('scan.startup.mode' = 'earliest-offset');
SET 'execution.checkpointing.interval' = '300ms';
CREATE TABLE {sink} (region STRING, window_start TIMESTAMP(3), n BIGINT, total_cents BIGINT,
  PRIMARY KEY (region, window_start) NOT ENFORCED) WITH ('changelog.mode' = 'upsert');
INSERT INTO {sink}
SELECT region, window_start, COUNT(*), SUM(CAST(amount * 100 AS BIGINT))
FROM TABLE(TUMBLE(TABLE orders_raw, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY region, window_start, window_end;
"""


def test_window(eddy, workdir):
    """A TUMBLE window aggregation over event time (the record timestamps),
    its rows shuffled by region: one process and two give the windows
    computed here.  Each partition's records come in time order (none
    late); a last record far ahead on every partition moves every
    partition's watermark past the orders' windows, which then fire."""
    t0 = 1704067200000   # 2024-01-01 00:00:00 UTC
    regions = ["eu", "us", "apac"]
    recs, want = [], {}
    for i in range(6000):
        ts = t0 + i * 9
        o = {"order_id": i + 1, "user_id": i % 97, "amount": float(i % 50) + 0.25, "region": regions[i % 7 % 3]}
        recs.append(Rec(key={"order_id": i + 1}, value=o, partition=i % 4, timestamp=ts))
        start = (ts - t0) // 10000 * 10
        k = ukey(region=o["region"], window_start="2024-01-01 00:00:%02d" % start)   # (JSON TIMESTAMP: no zero millis)
        n, c = want.get(k, (0, 0))
        want[k] = (n + 1, c + int(o["amount"] * 100))
    for p in range(4):   # the closing records: their own window never fires
        recs.append(Rec(key={"order_id": -p}, value={"order_id": -p, "user_id": 0, "amount": 0.0, "region": "zz"},
                        partition=p, timestamp=t0 + 300000))
    want = {k: dict(json.loads(k), n=n, total_cents=c) for k, (n, c) in want.items()}
    with Broker(eddy, workdir, {"orders_raw": 4}) as b:
        bs = b.bootstrap
        produce(bs, "orders_raw", recs)
        run_shared(eddy, bs, WINDOW.format(sink="per_window_1"), workdir, "per_window_1", "w1", 1, want, timeout=60)
        run_shared(eddy, bs, WINDOW.format(sink="per_window_2"), workdir, "per_window_2", "w2", 2, want, timeout=60)


def test_rebalance(eddy, workdir):
    with Broker(eddy, workdir, {"orders_raw": 4, "by_user": 4}) as b:
        bs = b.bootstrap
        path = write_file(workdir, "by_user.sql", GROUPBY.format(sink="by_user"))
        a = group_job(eddy, bs, path, workdir, "a", "g")
        late = None
        try:
            wait_for("the first process to hold all 8 tasks", lambda: len(taken(a)) == 8, job=a, timeout=20)
            gen = start_gen_orders(eddy, bs, "orders_raw", 30000, workdir, seed=23, rate=5000)
            wait_for("some results", lambda: len(read_topic(bs, "by_user")) > 1000, job=a, timeout=20)
            late = group_job(eddy, bs, path, workdir, "late", "g")
            wait_for("the later process to take tasks", lambda: taken(late), job=late, timeout=20)
            check("given back" in a.stderr(), "the first process gave no task back:\n%s" % a.stderr()[-3000:])
            # The later process's exchange readers start where the first process found the internal
            # topic (empty: offset 0), recorded as the committed offsets of the group g-by_user-starts.
            check("readers start where the group's first process found the internal topics (group 'g-by_user-starts')" in late.stderr(),
                  "the later process does not say it uses the group's reader starts:\n%s" % late.stderr()[-3000:])
            starts = committed(bs, "g-by_user-starts", "by_user-x0", 4)
            check(starts == [0, 0, 0, 0], "the group's reader starts for by_user-x0 are %r, expected [0, 0, 0, 0]" % starts)
            step("the later process took %s" % ", ".join("s%s-t%s (%s)" % t for t in taken(late)))
            finish(gen, "eddy gen")
            want = by_user(orders(bs))
            wait_for("the final table, shared", tables_match(("by_user", table_of(bs, "by_user"), want)), job=a, timeout=40)
            # the later one stops cleanly: the first takes its tasks back, and more orders come
            stop_all([late])
            before = len(re.findall("taken", a.stderr()))
            gen_orders(eddy, bs, "orders_raw", 5000, seed=24, extra=["--users", "2000"])
            want = by_user(orders(bs))
            wait_for("the first process to take the tasks back", lambda: len(re.findall("taken", a.stderr())) >= before + 8, job=a, timeout=20)
            wait_for("the final table after the clean stop", tables_match(("by_user", table_of(bs, "by_user"), want)), job=a, timeout=40)
            stop_all([a])
        finally:
            a.kill()
            if late:
                late.kill()
        check_table("by_user after a process joined and one left", fold_upsert(read_topic(bs, "by_user")), want)


if __name__ == "__main__":
    main({"same": test_same, "reference": test_reference, "kill": test_kill, "rebalance": test_rebalance, "three": test_three,
          "join": test_join, "window": test_window})
