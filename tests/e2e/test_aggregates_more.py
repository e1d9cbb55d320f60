"""e2e/aggregates_more — FILTER, LISTAGG and STDDEV_POP over Kafka, on an
updating input, with a kill -9 in the middle.

Accounts (an upsert topic keyed by id, 3 partitions) belong to regions;
every account of a region is produced to the same partition, so a region's
rows arrive in the order they were produced and LISTAGG's order is defined.
Accounts are created, change their balance and name, and are deleted; the
job keeps per region the number of accounts, the number with a balance over
50 (COUNT(*) FILTER), the names of those over 20 joined in arrival order
(LISTAGG … FILTER: an update takes the old name out where it was and puts
the new one at the end, as Flink's list state does) and the population
standard deviation of the balances.  The job is killed with SIGKILL after
a checkpoint and more records, restarted on further changes, then stopped
cleanly; its upsert table must equal what Python computes from the records
(the deviation within 1e-9 relative).
"""
import os
import statistics

from eddyharness import (Broker, Job, Rec, check, check_table, fold_upsert, main, produce, quiet, read_topic, run_bounded, step, ukey,
                         wait_for, write_file)
from eddytest import checkpointed

SQL = """
CREATE TABLE accounts (
  id      BIGINT PRIMARY KEY NOT ENFORCED,
  region  STRING,
  name    STRING,
  balance DOUBLE
) WITH ('changelog.mode' = 'upsert', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE region_stats (
  region  STRING PRIMARY KEY NOT ENFORCED,
  n       BIGINT,
  rich    BIGINT,
  names   STRING,
  sd      DOUBLE
) WITH ('changelog.mode' = 'upsert');

INSERT INTO region_stats
SELECT region, COUNT(*) AS n, COUNT(*) FILTER (WHERE balance > 50) AS rich,
       LISTAGG(name, ';') FILTER (WHERE balance > 20) AS names, STDDEV_POP(balance) AS sd
FROM accounts GROUP BY region;
"""

NREGIONS = 6


class World:
    """The produced records and, per region, what the job must end with."""

    def __init__(self):
        self.accounts = {}   # id → (region, name, balance)
        self.lists = {}      # region → names over 20, in arrival order
        self.recs, self.done = [], []
        self.version = {}

    def account(self, aid, balance=None, delete=False):
        region = "r%d" % (aid % NREGIONS)
        old = self.accounts.get(aid)
        if old and old[2] > 20:
            self.lists[region].remove(old[1])   # the earliest equal name (names are unique)
        if delete:
            self.accounts.pop(aid, None)
            value = None
        else:
            v = self.version[aid] = self.version.get(aid, 0) + 1
            name = "a%dv%d" % (aid, v)
            self.accounts[aid] = (region, name, balance)
            if balance > 20:
                self.lists.setdefault(region, []).append(name)
            value = {"id": aid, "region": region, "name": name, "balance": balance}
        self.recs.append(Rec(key={"id": aid}, value=value, partition=(aid % NREGIONS) % 3))

    def flush(self, bs):
        produce(bs, "accounts", self.recs)
        self.done += self.recs
        self.recs = []

    def expected(self):
        by = {}
        for region, name, balance in self.accounts.values():
            by.setdefault(region, []).append(balance)
        out = {}
        for region, bal in by.items():
            names = self.lists.get(region) or []
            out[ukey(region=region)] = {"region": region, "n": len(bal), "rich": sum(1 for b in bal if b > 50),
                                        "names": ";".join(names) if names else None, "sd": statistics.pstdev(bal)}
        return out


def table_of(bs):
    return fold_upsert(read_topic(bs, "region_stats"))


def matches(bs, want):
    def cond():
        with quiet():
            check_table("region_stats", table_of(bs), want, rel_tol=1e-9)
        return True
    return cond


def test(eddy, workdir):
    sql = write_file(workdir, "aggs.sql", SQL)
    state = os.path.join(workdir, "aggs.db")
    w = World()
    with Broker(eddy, workdir, {"accounts": 3, "region_stats": 1}) as b:
        bs = b.bootstrap
        for aid in range(300):
            w.account(aid, float((aid * 37) % 101) + 0.25)
        for aid in range(0, 300, 7):
            w.account(aid, float((aid * 13) % 97) + 0.5)
        w.flush(bs)
        job = Job(eddy, bs, sql, workdir, "aggs", state=state)
        try:
            wait_for("the first results", matches(bs, w.expected()), timeout=60, job=job)
            wait_for("a checkpoint of the first records", lambda: checkpointed(state, len(w.done)), timeout=30, job=job)
            # After the checkpoint: the kill loses the job's view of these,
            # the restart reads them again.
            for aid in range(1, 300, 5):
                w.account(aid, float((aid * 11) % 89))
            for aid in range(2, 300, 19):
                w.account(aid, delete=True)
            w.flush(bs)
            job.kill()
            step("killed with %d regions in the table" % len(table_of(bs)))

            # More: new accounts, updates across the 20 and 50 lines, deletes
            # that empty a region (r5: every id ≡ 5 mod 6 goes).
            for aid in range(300, 360):
                w.account(aid, float(aid % 70) + 0.75)
            for aid in range(3, 360, 4):
                if aid in w.accounts:
                    w.account(aid, 100.0 - w.accounts[aid][2])
            for aid in range(5, 360, NREGIONS):
                if aid in w.accounts:
                    w.account(aid, delete=True)
            w.flush(bs)
            want = w.expected()
            step("%d regions expected" % len(want))
            job = Job(eddy, bs, sql, workdir, "aggs", state=state)
            wait_for("the final region table", matches(bs, want), timeout=90, job=job)
            rc, err = job.term()
            check_table("region_stats after kill -9, restart and more changes", table_of(bs), want, rel_tol=1e-9)
        finally:
            job.kill()
        # The state depends on the FILTER conditions and LISTAGG's separator:
        # a query that changes one cannot follow it (the operator's fingerprint).
        for what, a, b2 in [("a FILTER condition", "WHERE balance > 50", "WHERE balance > 60"),
                            ("LISTAGG's separator", "LISTAGG(name, ';')", "LISTAGG(name, '|')")]:
            path = write_file(workdir, "changed.sql", SQL.replace(a, b2))
            r = run_bounded(eddy, bs, path, workdir, state=state, expect=1)
            check("cannot follow" in r.err, "%s changed: the state was not refused:\n%s" % (what, r.err))
            step("%s changed: refused: %s" % (what, r.err.strip().splitlines()[-1][:200]))


main(test)
