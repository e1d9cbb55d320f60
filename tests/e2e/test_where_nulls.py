"""e2e/where_nulls — WHERE with NULLs and three-valued logic.

Records with NULL columns, missing fields, numeric and boolean strings
(Flink's JSON coercions: " 12.5 " into DOUBLE, "7" into INT, "TRUE" into
BOOLEAN, "NaN" and "Infinity" into DOUBLE), an unknown nested field and a
missing id go into the single
partition of `ev`.  One script holds one append job per predicate, all into
the single partition of w_all, tagged with the predicate's name, so each
job's output keeps the input order:

    INSERT INTO w_all SELECT '<name>' AS pred, id, amount, region, qty, flag FROM ev WHERE <predicate>

Each predicate is also written here as a Python function over the same rows
with SQL's three-valued logic (None = UNKNOWN); a row passes only when the
predicate is TRUE.  The sink must hold exactly the passing rows, in order.
"""
import math
import re

from eddyharness import Broker, Failure, Rec, main, produce, read_topic
from eddytest import check_list, fold_append, run_job

COLS = ("id", "amount", "region", "qty", "flag")


# --- three-valued logic ----------------------------------------------------
def AND(a, b):
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def OR(a, b):
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return False


def NOT(a):
    return None if a is None else (not a)


def cmp(f, a, b):
    return None if a is None or b is None else f(a, b)


def gt(a, b): return cmp(lambda x, y: x > y, a, b)
def ge(a, b): return cmp(lambda x, y: x >= y, a, b)
def lt(a, b): return cmp(lambda x, y: x < y, a, b)
def le(a, b): return cmp(lambda x, y: x <= y, a, b)
def eq(a, b): return cmp(lambda x, y: x == y, a, b)
def ne(a, b): return cmp(lambda x, y: x != y, a, b)
def IN(a, *vals): return None if a is None else a in vals   # no NULL in the lists used here
def coalesce(*xs): return next((x for x in xs if x is not None), None)
def nullif(a, b): return None if a is None or (b is not None and a == b) else a
def mul(a, b): return None if a is None or b is None else a * b


def jdiv(a, b):
    """INT / INT: integer division truncating toward zero (Java)."""
    if a is None or b is None:
        return None
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def jmod(a, b):
    """MOD of integers: the sign of the dividend (Java's %)."""
    return None if a is None or b is None else a - jdiv(a, b) * b


def try_int(s):
    """TRY_CAST(s AS INT): a (trimmed) decimal integer in INT's range, else NULL."""
    if s is None or not re.fullmatch(r"[+-]?[0-9]+", s.strip()):
        return None
    v = int(s.strip())
    return v if -2**31 <= v < 2**31 else None


def case(*arms, default=None):
    for cond, val in arms:
        if cond is True:
            return val
    return default


PREDICATES = [
    ("not_gt", "NOT (amount > 10)", lambda r: NOT(gt(r["amount"], 10))),
    ("gt_or_eu", "amount > 10 OR region = 'eu'", lambda r: OR(gt(r["amount"], 10), eq(r["region"], "eu"))),
    ("gt_and_not_eu", "amount > 10 AND region <> 'eu'", lambda r: AND(gt(r["amount"], 10), ne(r["region"], "eu"))),
    ("is_null", "amount IS NULL OR region IS NULL", lambda r: r["amount"] is None or r["region"] is None),
    ("is_not_null", "amount IS NOT NULL AND qty IS NOT NULL", lambda r: r["amount"] is not None and r["qty"] is not None),
    ("in_list", "region IN ('eu', 'us')", lambda r: IN(r["region"], "eu", "us")),
    ("not_in_list", "region NOT IN ('eu', 'us')", lambda r: NOT(IN(r["region"], "eu", "us"))),
    ("between", "qty BETWEEN 2 AND 5", lambda r: AND(ge(r["qty"], 2), le(r["qty"], 5))),
    ("not_between", "qty NOT BETWEEN 2 AND 5", lambda r: NOT(AND(ge(r["qty"], 2), le(r["qty"], 5)))),
    ("is_not_true", "(amount > 10) IS NOT TRUE", lambda r: gt(r["amount"], 10) is not True),
    ("is_false", "(amount > 10) IS FALSE", lambda r: gt(r["amount"], 10) is False),
    ("coalesce", "COALESCE(amount, 0) < 5", lambda r: lt(coalesce(r["amount"], 0), 5)),
    ("flag", "flag", lambda r: r["flag"]),
    ("not_flag", "NOT flag", lambda r: NOT(r["flag"])),
    ("flag_or_qty", "flag OR qty > 3", lambda r: OR(r["flag"], gt(r["qty"], 3))),
    ("not_flag_and_qty", "NOT (flag AND qty > 3)", lambda r: NOT(AND(r["flag"], gt(r["qty"], 3)))),
    ("like", "region LIKE 'e%'", lambda r: None if r["region"] is None else r["region"].startswith("e")),
    ("arith", "qty * 2 > amount", lambda r: gt(mul(r["qty"], 2), r["amount"])),
    ("case", "CASE WHEN amount IS NULL THEN qty > 1 ELSE amount < 20 END",
     lambda r: case((r["amount"] is None, gt(r["qty"], 1)), default=lt(r["amount"], 20))),
    ("nullif", "NULLIF(region, 'eu') IS NULL", lambda r: nullif(r["region"], "eu") is None),
    ("self_eq", "amount = amount", lambda r: eq(r["amount"], r["amount"])),
    ("id_null", "id IS NULL", lambda r: r["id"] is None),
    # IS binds tighter than NOT (Calcite/Flink precedence): NOT ((amount > 10) IS TRUE)
    ("not_is_true", "NOT (amount > 10) IS TRUE", lambda r: NOT(gt(r["amount"], 10) is True)),
    ("in_with_null", "region IN ('eu', CAST(NULL AS STRING))", lambda r: True if r["region"] == "eu" else None),
    ("not_in_with_null", "region NOT IN ('eu', CAST(NULL AS STRING))",
     lambda r: NOT(True if r["region"] == "eu" else None)),
    ("gt_null", "amount > CAST(NULL AS DOUBLE)", lambda r: None),
    ("is_not_false", "flag IS NOT FALSE", lambda r: r["flag"] is not False),
    ("ne_or_not_flag", "amount <> 5 OR NOT flag", lambda r: OR(ne(r["amount"], 5), NOT(r["flag"]))),
    ("concat", "region || 'x' = 'eux'", lambda r: eq(None if r["region"] is None else r["region"] + "x", "eux")),
    ("char_length", "CHAR_LENGTH(region) > 1", lambda r: gt(None if r["region"] is None else len(r["region"]), 1)),
    ("int_div", "qty / 2 = -1 OR qty / 2 = 1", lambda r: OR(eq(jdiv(r["qty"], 2), -1), eq(jdiv(r["qty"], 2), 1))),
    ("mod", "MOD(qty, 3) = -1", lambda r: eq(jmod(r["qty"], 3), -1)),
    ("abs", "ABS(amount) > 3", lambda r: gt(None if r["amount"] is None else abs(r["amount"]), 3)),
    ("try_cast", "TRY_CAST(region AS INT) IS NULL", lambda r: try_int(r["region"]) is None),
    ("coalesce_flag", "COALESCE(flag, FALSE) = FALSE", lambda r: eq(coalesce(r["flag"], False), False)),
]

RAW = [
    {"id": 1, "amount": 5.0, "region": "eu", "qty": 1, "flag": True},
    {"id": 2, "amount": 15.25, "region": "us", "qty": 3, "flag": False},
    {"id": 3, "amount": None, "region": "eu", "qty": 4, "flag": None},
    {"id": 4, "region": "ap", "qty": 6},
    {"id": 5, "amount": 10, "region": None, "qty": None, "flag": True},
    {"id": 6, "amount": 10.01},
    {"id": 7},
    {"id": 8, "amount": " 12.5 ", "region": "eu-west", "qty": "7", "flag": "TRUE"},
    {"id": 9, "amount": -3.75, "region": "us", "qty": 2, "flag": False, "extra": {"nested": [1, 2, {"x": None}]}},
    {"id": 10, "amount": 2.0, "region": "", "qty": 0, "flag": True},
    {"id": 11, "amount": None, "region": None, "qty": None, "flag": None},
    {"id": 12, "amount": 20, "region": "eu", "qty": 10, "flag": None},
    {"amount": 1.0, "region": "eu", "qty": 2, "flag": True},
    {"id": 14, "amount": 4.99, "region": "us", "qty": 5, "flag": False},
    {"id": 15, "amount": 11, "region": "EU", "qty": 3, "flag": True},
    {"id": 16, "qty": -4, "flag": False, "region": "eu"},
    {"id": 17, "amount": 3.0, "region": "42", "qty": -3, "flag": None},
    {"id": 18, "amount": -10.5, "region": "4x2", "qty": -2, "flag": True},
    {"id": 19, "amount": 5, "region": "99999999999", "qty": 2, "flag": False},
    # Java's parseDouble spellings; comparisons with NaN are false (IEEE, as Flink's generated code)
    {"id": 20, "amount": "NaN", "region": "eu", "qty": 1, "flag": True},
    {"id": 21, "amount": "-Infinity", "qty": 4},
    {"id": 22, "amount": "Infinity", "region": "us", "qty": 0},
]


def typed(raw):
    """The row as the table's types see it (missing → NULL, Flink's coercions)."""
    def num(v, f):
        return f(v.strip()) if isinstance(v, str) else (None if v is None else f(v))
    flag = raw.get("flag")
    if isinstance(flag, str):
        flag = flag.strip().lower() == "true"
    return {"id": raw.get("id"), "amount": num(raw.get("amount"), float), "region": raw.get("region"),
            "qty": num(raw.get("qty"), int), "flag": flag}


def as_json(row):
    """A row as the sink writes it: NaN and infinities as the strings Jackson
    writes ("NaN", "Infinity", "-Infinity")."""
    def enc(v):
        if isinstance(v, float) and not math.isfinite(v):
            return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
        return v
    return {k: enc(v) for k, v in row.items()}


def script():
    out = ["CREATE TABLE ev (id BIGINT, amount DOUBLE, region STRING, qty INT, flag BOOLEAN);",
           "CREATE TABLE w_all (pred STRING, id BIGINT, amount DOUBLE, region STRING, qty INT, flag BOOLEAN)"
           " WITH ('changelog.mode' = 'append');"]
    for name, pred, _ in PREDICATES:
        out.append("SET 'pipeline.name' = 'w_%s';" % name)   # one job (and state file) per predicate
        out.append("INSERT INTO w_all SELECT '%s' AS pred, id, amount, region, qty, flag FROM ev WHERE %s;" % (name, pred))
    return "\n".join(out) + "\n"


def test(eddy, workdir):
    rows = [typed(r) for r in RAW]
    # Every job writes into the one partition of w_all, tagging its rows with
    # its predicate's name; each job's rows keep their order there.
    with Broker(eddy, workdir, {"ev": 1, "w_all": 1}) as b:
        produce(b.bootstrap, "ev", [Rec({"id": r.get("id")}, r) for r in RAW])
        run_job(eddy, b.bootstrap, script(), workdir, "where_nulls")
        by_pred = {}
        for row in fold_append(read_topic(b.bootstrap, "w_all")):
            by_pred.setdefault(row.pop("pred", None), []).append(row)
        failures = []
        for name, pred, f in PREDICATES:
            expected = [as_json(r) for r in rows if f(r) is True]
            try:
                check_list("WHERE %s" % pred, by_pred.pop(name, []), expected)
            except Failure as e:
                failures.append(str(e))
        if by_pred:
            failures.append("rows of unknown predicates: %r" % by_pred)
        if failures:
            raise Failure("%d of %d predicates wrong:\n%s" % (len(failures), len(PREDICATES), "\n".join(failures)))

if __name__ == "__main__":
    main(test)
