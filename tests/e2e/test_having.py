"""e2e/having — HAVING over an updating input: groups that stop qualifying
are deleted from the upsert sink.

The source `items` is an upsert table (key {"id":N}, tombstone = delete) on
a single partition, normalised before it feeds

    SELECT grp, COUNT(*) AS n, SUM(v) AS total FROM items
    GROUP BY grp HAVING COUNT(*) >= 3

Phase 1 makes groups cross the threshold; phase 2 deletes and moves rows so
that some of them stop qualifying (a, d, e), one qualifies anew (c), one
stops and qualifies again (e), one crosses and falls back within the phase
(f), plus an identical re-upsert and a delete of an unknown key.

A third query, HAVING COUNT(*) >= 3 AND MAX(v) < 30, filters on an
aggregate that is not in its SELECT list (e goes out when its MAX rises).

Two runs:
  * live: an unbounded job while the phases are produced, with the query
    into an upsert sink and into a retract sink; after each phase the upsert
    sink's table and the retract sink's folded multiset must equal the
    expected table (so the sinks have certainly shown a and d before they
    stop qualifying); after phase 2 the upsert topic must carry tombstones
    for them and the retract topic must have retracted their rows;
  * bounded: `eddy run --bounded` over both phases at once.
The expected tables are computed here: last row per id, then COUNT/SUM per
group, then the HAVING predicate.
"""
import collections
import json

from eddyharness import Broker, Rec, canon, check, check_table, fold_upsert, last_values, main, read_topic, step, ukey
from eddytest import check_ends_deleted, check_multiset, fold_retract, op_of, run_job, run_phases

SQL_RETRACT = """
CREATE TABLE {sink} (
  grp   STRING,
  n     BIGINT,
  total INT
) WITH ('changelog.mode' = 'retract');

INSERT INTO {sink}
SELECT grp, COUNT(*) AS n, SUM(v) AS total
FROM items
GROUP BY grp
HAVING COUNT(*) >= 3;
"""

SQL_HIDDEN = """
CREATE TABLE {sink} (
  grp STRING PRIMARY KEY NOT ENFORCED,
  n   BIGINT
);

INSERT INTO {sink}
SELECT grp, COUNT(*) AS n
FROM items
GROUP BY grp
HAVING COUNT(*) >= 3 AND MAX(v) < 30;
"""

SQL = """
CREATE TABLE items (
  id  BIGINT,
  grp STRING,
  v   INT,
  PRIMARY KEY (id) NOT ENFORCED
) WITH ('changelog.mode' = 'upsert');

CREATE TABLE {sink} (
  grp   STRING PRIMARY KEY NOT ENFORCED,
  n     BIGINT,
  total INT
) WITH ('changelog.mode' = 'upsert');

INSERT INTO {sink}
SELECT grp, COUNT(*) AS n, SUM(v) AS total
FROM items
GROUP BY grp
HAVING COUNT(*) >= 3;
"""


def up(i, grp, v):
    return Rec({"id": i}, {"id": i, "grp": grp, "v": v})


def delete(i):
    return Rec({"id": i}, None)


PHASE1 = [
    up(1, "a", 1), up(2, "a", 2), up(3, "a", 3),                     # a: 3 rows → qualifies
    up(4, "b", 10), up(5, "b", 20), up(6, "b", 30), up(7, "b", 40),  # b: 4
    up(8, "c", 5), up(9, "c", 6),                                    # c: 2, not yet
    up(10, "d", 1), up(11, "d", 1), up(12, "d", 1),                  # d: 3
    up(13, "e", 7), up(14, "e", 7), up(15, "e", 7),                  # e: 3
]
PHASE2 = [
    delete(1),            # a falls to 2 rows: stops qualifying
    up(4, "c", 10),       # b 4→3 (still in, total changes), c 2→3: qualifies
    up(10, "d", 5),       # d changes its total...
    delete(11),           # ...then falls to 2: stops qualifying
    up(13, "x", 7),       # e falls to 2 (x has 1)...
    up(16, "e", 9),       # ...and is back at 3 with another total
    delete(99),           # delete of a key never seen: nothing
    up(17, "f", 1), up(18, "f", 1), up(19, "f", 1),  # f crosses...
    delete(17),           # ...and falls back
    up(2, "a", 2),        # identical re-upsert: nothing changes
    up(15, "e", 35),      # e's MAX(v) goes to 35: still in for COUNT(*) >= 3, out for MAX(v) < 30
]


def last_rows(recs):
    return last_values((r.key["id"], r.value) for r in recs).values()


def expected_table(recs):
    n = collections.Counter()
    total = collections.Counter()
    for row in last_rows(recs):
        n[row["grp"]] += 1
        total[row["grp"]] += row["v"]
    return {ukey(grp=g): {"grp": g, "n": n[g], "total": total[g]} for g in n if n[g] >= 3}


def expected_hidden(recs):
    """HAVING COUNT(*) >= 3 AND MAX(v) < 30, with MAX not in the SELECT list."""
    n = collections.Counter()
    mx = {}
    for row in last_rows(recs):
        n[row["grp"]] += 1
        mx[row["grp"]] = max(mx.get(row["grp"], row["v"]), row["v"])
    return {ukey(grp=g): {"grp": g, "n": n[g]} for g in n if n[g] >= 3 and mx[g] < 30}


def test(eddy, workdir):
    exp1 = expected_table(PHASE1)
    exp2 = expected_table(PHASE1 + PHASE2)
    # the scenario does what it says
    assert set(exp1) == {ukey(grp=g) for g in "abde"}, exp1
    assert set(exp2) == {ukey(grp=g) for g in "bce"}, exp2
    hid1 = expected_hidden(PHASE1)
    hid2 = expected_hidden(PHASE1 + PHASE2)
    assert set(hid1) == {ukey(grp=g) for g in "ade"} and set(hid2) == {ukey(grp=g) for g in "c"}, (hid1, hid2)

    def rows(table):
        return list(table.values())

    def multiset(what, actual, expected):
        check_multiset(what, actual, rows(expected))

    with Broker(eddy, workdir, {"items": 1, "big_groups_rt_live": 1}) as b:
        sql = SQL.format(sink="big_groups_live") + SQL_RETRACT.format(sink="big_groups_rt_live") + \
            SQL_HIDDEN.format(sink="small_max_live")
        out = run_phases(eddy, b.bootstrap, sql, workdir, "having_live", "items",
                         [(PHASE1, {"big_groups_live": exp1, "big_groups_rt_live": exp1, "small_max_live": hid1}),
                          (PHASE2, {"big_groups_live": exp2, "big_groups_rt_live": exp2, "small_max_live": hid2})],
                         {"big_groups_live": (fold_upsert, check_table), "big_groups_rt_live": (fold_retract, multiset),
                          "small_max_live": (fold_upsert, check_table)})
        msgs = out["big_groups_live"]
        check_table("big_groups_live (read to the end after the stop)", fold_upsert(msgs), exp2)
        check_ends_deleted(msgs, [ukey(grp=g) for g in "ad"], "stopped qualifying")
        rt = out["big_groups_rt_live"]
        check_multiset("big_groups_rt_live (read to the end after the stop)", fold_retract(rt), rows(exp2))
        retracted = {canon(json.loads(m.value)) for m in rt if op_of(m) in ("-U", "-D")}
        for g in "ad":
            check(canon(exp1[ukey(grp=g)]) in retracted,
                  "big_groups_rt_live: group %s stopped qualifying but its row %s was never retracted" % (g, exp1[ukey(grp=g)]))
        step("big_groups_rt_live: the groups that stopped qualifying were retracted")

        check_table("small_max_live (read to the end after the stop)", fold_upsert(out["small_max_live"]), hid2)

        run_job(eddy, b.bootstrap, SQL.format(sink="big_groups") + SQL_HIDDEN.format(sink="small_max"), workdir,
                "having_bounded")
        check_table("big_groups (bounded run over both phases)", fold_upsert(read_topic(b.bootstrap, "big_groups")), exp2)
        check_table("small_max (bounded run over both phases)", fold_upsert(read_topic(b.bootstrap, "small_max")), hid2)


if __name__ == "__main__":
    main(test)
