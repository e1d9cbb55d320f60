"""e2e/over_update — OVER aggregations over an updating input (an upsert
topic), checked against results computed here from the final table of the
input, across a clean restart and a kill -9.

Scores {id → player, points, t} with every t unique (so the ROWS frames
do not depend on how equal values are ordered), upserted and deleted at
random in four batches:

  * `running` (upsert sink, key id): SUM and COUNT over ROWS BETWEEN 2
    PRECEDING AND CURRENT ROW per player, ordered by t;
  * `totals` (retract sink): SUM and MAX over ORDER BY t alone (RANGE
    UNBOUNDED PRECEDING) per player.

Batch 1 by a bounded run; batch 2 by a second bounded run on the same
state file (the rows come back from it); batch 3 by an unbounded run that
checkpoints it, then batch 4 is produced and the job killed with SIGKILL
(upsert job only: a retract topic would hold the replayed changes twice);
a last bounded run finishes.  Every sink's table must equal what the
current rows give.
"""
import collections
import json
import os
import random

from eddyharness import Broker, Rec, canon, check_table, main, produce, read_topic, run_bounded, step, wait_for, write_file, Job
from eddytest import check_multiset, checkpointed, fold_retract

SOURCE = """
CREATE TABLE scores (
  id BIGINT PRIMARY KEY NOT ENFORCED, player STRING, points BIGINT, t BIGINT
) WITH ('changelog.mode' = 'upsert', 'scan.startup.mode' = 'earliest-offset');
"""

RUNNING = SOURCE + """
CREATE TABLE running (id BIGINT PRIMARY KEY NOT ENFORCED, player STRING, points BIGINT, s BIGINT, n BIGINT);
INSERT INTO running
SELECT id, player, points, SUM(points) OVER w, COUNT(*) OVER w FROM scores
WINDOW w AS (PARTITION BY player ORDER BY t ROWS BETWEEN 2 PRECEDING AND CURRENT ROW);
"""

TOTALS = SOURCE + """
CREATE TABLE totals (id BIGINT, player STRING, s BIGINT, m BIGINT) WITH ('changelog.mode' = 'retract');
INSERT INTO totals
SELECT id, player, SUM(points) OVER (PARTITION BY player ORDER BY t), MAX(points) OVER (PARTITION BY player ORDER BY t)
FROM scores;
"""


class World:
    def __init__(self):
        self.rng = random.Random(11)
        self.times = iter(self.rng.sample(range(1, 1000000), 5000))
        self.rows = {}
        self.pending = []

    def batch(self, n):
        for _ in range(n):
            i = self.rng.randrange(1, 80)
            if i in self.rows and self.rng.random() < 0.2:
                del self.rows[i]
                self.pending.append(Rec(key=json.dumps({"id": i}).encode(), value=None))
                continue
            row = {"id": i, "player": self.rng.choice(["ann", "bob", "cy", "di"]), "points": self.rng.randrange(-5, 50),
                   "t": next(self.times)}
            self.rows[i] = row
            self.pending.append(Rec(key=json.dumps({"id": i}).encode(), value=json.dumps(row).encode()))

    def flush(self, bootstrap):
        produce(bootstrap, "scores", self.pending)
        self.pending = []

    def expected(self):
        per = collections.defaultdict(list)
        for r in self.rows.values():
            per[r["player"]].append(r)
        running, totals = {}, []
        for rs in per.values():
            rs.sort(key=lambda r: r["t"])
            for k, r in enumerate(rs):
                frame = rs[max(0, k - 2):k + 1]
                running[canon({"id": r["id"]})] = {"id": r["id"], "player": r["player"], "points": r["points"],
                                                   "s": sum(x["points"] for x in frame), "n": len(frame)}
                upto = rs[:k + 1]
                totals.append({"id": r["id"], "player": r["player"], "s": sum(x["points"] for x in upto),
                               "m": max(x["points"] for x in upto)})
        return running, totals


def running_table(bootstrap):
    table = {}
    for m in read_topic(bootstrap, "running"):
        k = canon(json.loads(m.key))
        if m.value is None:
            table.pop(k, None)
        else:
            table[k] = json.loads(m.value)
    return table


def test(eddy, workdir):
    w = World()
    running = write_file(workdir, "running.sql", RUNNING)
    totals = write_file(workdir, "totals.sql", TOTALS)
    rstate, tstate = os.path.join(workdir, "running.db"), os.path.join(workdir, "totals.db")
    with Broker(eddy, workdir, {"scores": 1, "running": 1, "totals": 1}) as b:
        bs = b.bootstrap

        def finish(when):
            """Bounded runs of both jobs on their state files; both sink tables as computed here."""
            run_bounded(eddy, bs, running, workdir, state=rstate)
            run_bounded(eddy, bs, totals, workdir, state=tstate)
            want_running, want_totals = w.expected()
            check_table("running " + when, running_table(bs), want_running)
            check_multiset("totals " + when, fold_retract(read_topic(bs, "totals")), want_totals)
            step("%s: %d rows, both tables as computed here" % (when, len(w.rows)))
        for n in (150, 120):
            w.batch(n)
            w.flush(bs)
            finish("after %d changes" % n)

        w.batch(150)
        w.flush(bs)
        job = Job(eddy, bs, running, workdir, "running", state=rstate)
        try:
            wait_for("a checkpoint of batch 3", lambda: checkpointed(rstate, 420), timeout=60, job=job)
            w.batch(150)
            w.flush(bs)
            job.kill()
            step("killed after batch 3's checkpoint, batch 4 produced")
        finally:
            job.kill()
        finish("after the kill -9 and a restart")


if __name__ == "__main__":
    main(test)
