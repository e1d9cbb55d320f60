"""e2e/flink_changelog — mini-batch off ('table.exec.mini-batch.enabled' =
'false': Flink's changelog exactly) over Kafka, with a kill -9 restart and a
restart that switches the setting.

The source `accounts` is an upsert table (key {"id":N}, tombstone = delete,
one partition) feeding

    SELECT region, COUNT(*) AS n, SUM(balance) AS total FROM accounts
    GROUP BY region HAVING SUM(balance) >= 100

into an upsert table (one partition).  As Flink plans it with mini-batch
off, the filter keeps -U between the aggregate and the sink, the sink
writes each -U as a tombstone, and every upsert reaches the aggregate as
-U then +U (ChangelogNormalize), each emitting its own result.

  1. exact: `eddy run --bounded` over all records, uninterrupted; the sink
     topic must be record for record what a small model of Flink's
     operators here computes (ChangelogNormalize, GroupAggFunction without
     mini-batch, Calc passing each row's kind, upsert-kafka writing -U and
     -D as tombstones) — and differ from the compact default's;
  2. kill -9: an unbounded job, killed with SIGKILL after a checkpoint while
     records arrive, restarted on the same state file: the sink's final
     table must equal the one computed here from the last row per id;
  3. switch: the state of 2 resumed by the same query with mini-batch on
     (the setting changes no state) over more records, bounded: the same.
"""
import collections
import json
import os
import random
import time

from eddyharness import (Broker, Job, Rec, check, check_table, fold_upsert, main, produce, read_topic, run_bounded, step,
                         ukey, wait_for, write_file)
from eddytest import checkpointed, run_job

SQL = """
SET 'table.exec.mini-batch.enabled' = '{minibatch}';
SET 'execution.checkpointing.interval' = '200 ms';

CREATE TABLE accounts (
  id      BIGINT,
  region  STRING,
  balance INT,
  PRIMARY KEY (id) NOT ENFORCED
) WITH ('changelog.mode' = 'upsert');

CREATE TABLE {sink} (
  region STRING PRIMARY KEY NOT ENFORCED,
  n      BIGINT,
  total  INT
) WITH ('changelog.mode' = 'upsert');

INSERT INTO {sink}
SELECT region, COUNT(*) AS n, SUM(balance) AS total
FROM accounts
GROUP BY region
HAVING SUM(balance) >= 100;
"""

LIMIT = 100   # HAVING SUM(balance) >= LIMIT


def records(seed, count, ids=50):
    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        i = rnd.randint(1, ids)
        if rnd.random() < 0.12:
            out.append(Rec({"id": i}, None))
        elif rnd.random() < 0.1 and out and out[-1].value is not None:
            out.append(Rec(out[-1].key, dict(out[-1].value)))   # an identical re-upsert
        else:
            out.append(Rec({"id": i}, {"id": i, "region": rnd.choice("abcdefgh"), "balance": rnd.randint(0, 40)}))
    return out


def flink_changelog(recs):
    """What Flink's job emits into the sink topic, record by record: a list
    of (key, value or None)."""
    norm = {}                      # ChangelogNormalize: id → row
    acc = {}                       # GroupAggFunction: region → [n, total]
    out = []

    def calc(kind, region, vals):  # Calc: each row judged alone, its kind kept
        if vals[1] >= LIMIT:
            key = ukey(region=region)
            out.append((key, None if kind in ("-U", "-D") else {"region": region, "n": vals[0], "total": vals[1]}))

    def agg(retract, row):
        g = row["region"]
        if g not in acc:
            if retract:
                return             # a retraction of an unknown group is ignored
            acc[g] = [1, row["balance"]]
            calc("+I", g, acc[g])
            return
        prev = list(acc[g])
        acc[g][0] += -1 if retract else 1
        acc[g][1] += -row["balance"] if retract else row["balance"]
        if acc[g][0] == 0:
            del acc[g]
            calc("-D", g, prev)
        elif acc[g] != prev:
            calc("-U", g, prev)    # the filter asks for -U (FLINK-9528)
            calc("+U", g, acc[g])

    for r in recs:
        i = r.key["id"]
        if r.value is None:
            if i in norm:
                agg(True, norm.pop(i))
            continue
        if i in norm:
            if norm[i] == r.value:
                continue           # identical re-upsert: nothing
            agg(True, norm[i])     # -U old …
        norm[i] = r.value
        agg(False, r.value)        # … then +U new (or +I)
    return out


def expected_table(recs):
    last = {}
    for r in recs:
        if r.value is None:
            last.pop(r.key["id"], None)
        else:
            last[r.key["id"]] = r.value
    n, total = collections.Counter(), collections.Counter()
    for row in last.values():
        n[row["region"]] += 1
        total[row["region"]] += row["balance"]
    return {ukey(region=g): {"region": g, "n": n[g], "total": total[g]} for g in n if total[g] >= LIMIT}


def sink_records(bootstrap, topic):
    return [(json.dumps(json.loads(m.key), sort_keys=True), None if m.value is None else json.loads(m.value))
            for m in read_topic(bootstrap, topic)]


def test(eddy, workdir):
    part1, part2, part3, part4 = records(1, 150), records(2, 150), records(3, 150), records(4, 100)
    allrecs = part1 + part2 + part3 + part4
    want = [(json.dumps(json.loads(k), sort_keys=True), v) for k, v in flink_changelog(allrecs)]
    tombstones = sum(1 for _, v in want if v is None)
    check(tombstones > 10 and len(want) > 100, "the scenario should make many changes and tombstones: %d, %d" % (len(want), tombstones))

    with Broker(eddy, workdir, {"accounts": 1, "exact": 1, "compact": 1, "live": 1}) as b:
        # 1. exact, uninterrupted
        produce(b.bootstrap, "accounts", allrecs)
        run_job(eddy, b.bootstrap, SQL.format(minibatch="false", sink="exact"), workdir, "exact")
        got = sink_records(b.bootstrap, "exact")
        if got != want:
            at = next((i for i in range(min(len(got), len(want))) if got[i] != want[i]), min(len(got), len(want)))
            check(False, "exact: the sink topic differs from Flink's changelog at record %d (%d records, %d expected):\n"
                         "  actual   %s\n  expected %s" % (at, len(got), len(want), got[at:at + 3], want[at:at + 3]))
        step("exact: %d records (%d tombstones) as Flink emits them" % (len(got), tombstones))
        check_table("exact: final table", fold_upsert(read_topic(b.bootstrap, "exact")), expected_table(allrecs))
        run_job(eddy, b.bootstrap, SQL.format(minibatch="true", sink="compact"), workdir, "compact")
        compact = sink_records(b.bootstrap, "compact")
        check(len(compact) < len(got), "the compact default should write fewer records than Flink's changelog: %d vs %d"
              % (len(compact), len(got)))
        check_table("compact: final table", fold_upsert(read_topic(b.bootstrap, "compact")), expected_table(allrecs))

    # 2. kill -9 and restart, on a broker of its own (the source topic starts empty)
    with Broker(eddy, workdir, {"accounts": 1, "live": 1}) as b:
        sql = write_file(workdir, "live.sql", SQL.format(minibatch="false", sink="live"))
        sql_on = write_file(workdir, "live_on.sql", SQL.format(minibatch="true", sink="live"))
        state = os.path.join(workdir, "live.db")
        job = Job(eddy, b.bootstrap, sql, workdir, "live", state=state)
        try:
            produce(b.bootstrap, "accounts", part1)
            wait_for("a checkpoint of part 1", lambda: checkpointed(state, len(part1)), job=job)
            produce(b.bootstrap, "accounts", part2)
            time.sleep(0.15)       # part 2 partly processed, not yet all checkpointed
            job.check_alive()
        finally:
            job.kill()
        step("live: killed with SIGKILL")
        job = Job(eddy, b.bootstrap, sql, workdir, "live", state=state)
        try:
            produce(b.bootstrap, "accounts", part3)
            exp = expected_table(part1 + part2 + part3)

            def caught_up():
                return fold_upsert(read_topic(b.bootstrap, "live")) == exp
            wait_for("live: the table after the restart", caught_up, job=job)
            rc, err = job.term()
            check(rc == 0, "live (restarted) exited with %s:\n%s" % (rc, err[-3000:]))
            check("resumes from" in err, "live: the restart should resume the state:\n%s" % err[-2000:])
        finally:
            job.kill()
        check_table("live: after kill -9 and restart", fold_upsert(read_topic(b.bootstrap, "live")), exp)

        # 3. the same state, mini-batch on: resumes, and goes on exactly
        produce(b.bootstrap, "accounts", part4)
        ran = run_bounded(eddy, b.bootstrap, sql_on, workdir, state=state)
        check("resumes from" in ran.err, "switch: the restart with mini-batch on should resume the state:\n%s" % ran.err[-2000:])
        check_table("switch: mini-batch on after off, same state", fold_upsert(read_topic(b.bootstrap, "live")),
                    expected_table(allrecs))


if __name__ == "__main__":
    main(test)
