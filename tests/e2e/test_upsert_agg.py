"""e2e/upsert_agg — an upsert source with updates and deletes feeding
GROUP BY with MIN, MAX, COUNT, SUM and AVG (retraction of MIN/MAX included).

The source `inv` (key {"id":N}, tombstone = delete, one partition) is
normalised (last row per id) before

    SELECT grp, MIN(price), MAX(price), COUNT(*), SUM(qty), AVG(qty),
           COUNT(note), SUM(price), COUNT(DISTINCT price), MAX(note)
    FROM inv GROUP BY grp

Phases 2-4 then: updates that lower and raise the minimum, a delete of the
current minimum (and maximum), a delete of the only row of a group (the
group must be deleted from the sink), a row moving between groups (one
group emptied, another created), a group emptied and then re-created, a
duplicate minimum of which one copy is deleted, an identical re-upsert (no
change), a delete of an unknown key, NULLs skipped by MIN/MAX/SUM/COUNT(x),
a group whose prices all become NULL (MIN/MAX/SUM NULL again), a large
value added and retracted among small ones, and MAX of a string retracted.

Two runs, as in e2e/having: a live unbounded job checked after each of the
4 phases, with the query into an upsert sink and (MIN/MAX/COUNT only) into
a retract sink (then the upsert topic must carry tombstones and the retract
topic -D rows for the emptied groups), and a bounded run over all phases.
The expected table is computed here from the last row per id.  MIN/MAX
pick values, so they compare exactly;
SUM(qty)/AVG(qty) are over INT (AVG of INT truncates, as in Flink);
SUM(price) must be exactly math.fsum of the current prices, the correctly
rounded sum that eddy documents for SUM(DOUBLE) (src/exec/agg.c: independent of
the order of adds and retractions).
"""
import collections
import json
import math

from eddyharness import Broker, Rec, check, check_table, fold_upsert, last_values, main, read_topic, step, ukey
from eddytest import check_ends_deleted, check_multiset, fold_retract, op_of, run_job, run_phases

SQL = """
CREATE TABLE inv (
  id    BIGINT,
  grp   STRING,
  price DOUBLE,
  qty   INT,
  note  STRING,
  PRIMARY KEY (id) NOT ENFORCED
) WITH ('changelog.mode' = 'upsert');

CREATE TABLE {sink} (
  grp       STRING PRIMARY KEY NOT ENFORCED,
  min_price DOUBLE,
  max_price DOUBLE,
  n         BIGINT,
  sum_qty   INT,
  avg_qty   INT,
  notes     BIGINT,
  sum_price DOUBLE,
  n_prices  BIGINT,
  max_note  STRING
);

INSERT INTO {sink}
SELECT grp, MIN(price) AS min_price, MAX(price) AS max_price, COUNT(*) AS n,
       SUM(qty) AS sum_qty, AVG(qty) AS avg_qty, COUNT(note) AS notes,
       SUM(price) AS sum_price, COUNT(DISTINCT price) AS n_prices, MAX(note) AS max_note
FROM inv
GROUP BY grp;
"""


SQL_RETRACT = """
CREATE TABLE {sink} (
  grp       STRING,
  min_price DOUBLE,
  max_price DOUBLE,
  n         BIGINT
) WITH ('changelog.mode' = 'retract');

INSERT INTO {sink}
SELECT grp, MIN(price) AS min_price, MAX(price) AS max_price, COUNT(*) AS n
FROM inv
GROUP BY grp;
"""


def narrow(table):
    """The retract job's rows: a few of the columns."""
    return [{c: r[c] for c in ("grp", "min_price", "max_price", "n")} for r in table.values()]


def up(i, grp, price, qty, note=None):
    v = {"id": i, "grp": grp, "price": price, "qty": qty}
    if note is not None:
        v["note"] = note
    return Rec({"id": i}, v)


def delete(i):
    return Rec({"id": i}, None)


PHASE1 = [
    up(1, "a", 10.25, 1, "x"), up(2, "a", 5.5, 2), up(3, "a", 20.75, 4, "y"),
    up(4, "b", 7.0, 1),
    up(5, "c", 3.3, 5, "only"),                       # the only row of c
    up(6, "d", 8.8, 1), up(7, "d", 8.8, 2), up(8, "d", 9.1, 3),  # d: the minimum twice
    up(9, "g", 1.5, 1), up(10, "g", 2.5, 2),
    up(11, "h", None, None), up(12, "h", 4.4, 3),     # NULLs are skipped by MIN/MAX/SUM
    up(20, "k", 0.1, 1, "kb"), up(21, "k", 0.2, 1, "kz"), up(22, "k", 0.3, 1, "ka"),  # sums that do not add up exactly
    up(23, "n", 1.25, 1, "n1"), up(24, "n", None, 2, "n2"),
]
PHASE2 = [
    up(2, "a", 12.0, 2),           # the minimum (5.5) goes up: MIN a = 10.25
    up(1, "a", 4.0, 1, "x"),       # a new minimum: 4.0
]
PHASE3 = [
    delete(1),                     # delete of the current minimum: MIN a = 12.0
    up(3, "a", 15.5, 7, "y"),      # the maximum goes down: MAX a = 15.5
    up(13, "a", 15.5, 3),          # a second row at the maximum
    delete(3),                     # delete one copy of the maximum: still 15.5
    delete(5),                     # c's only row: c is deleted
    up(4, "e", 7.0, 1),            # moves from b to e: b emptied, e created
    delete(6),                     # d: one copy of the minimum 8.8 goes, the other stays
    up(8, "d", 9.1, 3),            # identical re-upsert: no change
    delete(99),                    # unknown key: nothing
    delete(9), delete(10),         # g emptied...
    up(23, "n", None, 1, "n1"),    # n: now every price is NULL: MIN/MAX/SUM are NULL again
    delete(21),                    # k: retract 0.2 (and the maximum note "kz")
    up(25, "k", 98765432.19, 1, "kc"),  # a large value...
]
PHASE4 = [
    up(14, "g", 0.5, 9, "back"),   # ...and re-created
    up(11, "h", 4.5, None),        # h: the NULL price becomes the maximum
    up(12, "h", None, 2),          # and the old maximum becomes NULL
    delete(25),                    # ...retracted again: the small values' sum must come back exactly
    up(26, "k", 0.7, 2, "kb"),     # a second "kb" note: COUNT(DISTINCT price) 3, MAX(note) "kb"
]


def expected_table(recs):
    groups = collections.defaultdict(list)
    for row in last_values((r.key["id"], r.value) for r in recs).values():
        groups[row["grp"]].append(row)
    out = {}
    for g, rs in groups.items():
        prices = [r["price"] for r in rs if r.get("price") is not None]
        qtys = [r["qty"] for r in rs if r.get("qty") is not None]
        s = sum(qtys) if qtys else None
        out[ukey(grp=g)] = {
            "grp": g,
            "min_price": min(prices) if prices else None,
            "max_price": max(prices) if prices else None,
            "n": len(rs),
            "sum_qty": s,
            "avg_qty": int(s / len(qtys)) if qtys else None,   # AVG(INT) truncates toward zero (qty > 0 here)
            "notes": sum(1 for r in rs if r.get("note") is not None),
            # eddy documents SUM(DOUBLE) as the correctly rounded exact sum,
            # whatever the order of adds and retractions: math.fsum
            "sum_price": math.fsum(prices) if prices else None,
            "n_prices": len(set(prices)),
            "max_note": max((r["note"] for r in rs if r.get("note") is not None), default=None),
        }
    return out


def test(eddy, workdir):
    phases, recs = [], []
    for p in (PHASE1, PHASE2, PHASE3, PHASE4):
        recs += p
        phases.append((p, expected_table(recs)))
    exp2 = phases[-1][1]
    assert phases[1][1][ukey(grp="a")]["min_price"] == 4.0, phases[1][1]
    assert ukey(grp="g") not in phases[2][1], phases[2][1]
    assert exp2[ukey(grp="a")]["min_price"] == 12.0 and exp2[ukey(grp="a")]["max_price"] == 15.5, exp2
    assert ukey(grp="c") not in exp2 and ukey(grp="b") not in exp2 and ukey(grp="e") in exp2, exp2

    with Broker(eddy, workdir, {"inv": 1, "inv_rt_live": 1}) as b:
        out = run_phases(eddy, b.bootstrap, SQL.format(sink="inv_stats_live") + SQL_RETRACT.format(sink="inv_rt_live"),
                         workdir, "upsert_agg_live", "inv",
                         [(recs, {"inv_stats_live": exp, "inv_rt_live": exp}) for recs, exp in phases],
                         {"inv_stats_live": (fold_upsert, check_table),
                          "inv_rt_live": (fold_retract, lambda what, a, e: check_multiset(what, a, narrow(e)))})
        msgs = out["inv_stats_live"]
        check_table("inv_stats_live (read to the end after the stop)", fold_upsert(msgs), exp2)
        check_ends_deleted(msgs, [ukey(grp=g) for g in "bc"], "lost its last row")   # (g was emptied too, but is back)

        rt = out["inv_rt_live"]
        check_multiset("inv_rt_live (read to the end after the stop)", fold_retract(rt), narrow(exp2))
        deleted = {json.loads(m.value).get("grp") for m in rt if op_of(m) == "-D"}
        check({"b", "c", "g"} <= deleted, "inv_rt_live: the emptied groups b, c, g should end with -D; -D seen for %s"
              % sorted(deleted, key=str))
        step("inv_rt_live: -D for the emptied groups")

        run_job(eddy, b.bootstrap, SQL.format(sink="inv_stats"), workdir, "upsert_agg_bounded")
        check_table("inv_stats (bounded run over all phases)", fold_upsert(read_topic(b.bootstrap, "inv_stats")), exp2)


if __name__ == "__main__":
    main(test)
