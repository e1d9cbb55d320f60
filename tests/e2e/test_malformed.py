"""e2e/malformed — malformed records in each error mode.

  fail (default)  one bad record at partition 2, offset 4 of a 3-partition
                  topic: `eddy run` exits 1 and its stderr names the topic,
                  the partition and the offset;
  skip            good and bad records (truncated JSON, not JSON, not an
                  object, trailing garbage, invalid UTF-8, a string or an
                  object or an out-of-range number where a number belongs)
                  in a 2-partition topic: exit 0, the sinks hold what the
                  good records alone give (an append projection and an
                  upsert aggregate), and stderr counts the skipped records;
  dead letter     'error.mode' = 'skip' plus 'error.dead-letter-topic' (one
                  job): the same results, and the dead-letter topic holds exactly the
                  bad records, unchanged (key and value bytes, timestamp,
                  headers), in their order within each source partition,
                  with eddy.error.* headers saying why and where from.

  upsert source   tombstones whose key is not JSON, has a wrong type or is
                  missing, and a bad value: fail names the first of them;
                  skip gives the table of the good records (including a
                  real delete and update).

A tombstone in an append table carries no row: it is ignored (Flink's JSON
format returns no row for a null message), so it is neither a result nor a
malformed record.
"""
import collections
import re

from eddyharness import (Broker, Failure, Rec, check, check_table, fold_upsert, last_values, main, produce, read_topic,
                         step, ukey)
from eddytest import Sections, check_list, fold_append, run_job

SOURCE = """
CREATE TABLE pay (
  id     BIGINT,
  amount DOUBLE,
  region STRING
) WITH ('topic' = '{topic}'{opts});
"""

JOB_OK = """
CREATE TABLE {p}_ok (id BIGINT, amount DOUBLE, region STRING) WITH ('changelog.mode' = 'append');
INSERT INTO {p}_ok SELECT id, amount, region FROM pay;
"""

JOB_AGG = """
CREATE TABLE {p}_by_region (
  region STRING PRIMARY KEY NOT ENFORCED,
  n      BIGINT,
  total  DOUBLE
);
INSERT INTO {p}_by_region SELECT region, COUNT(*) AS n, SUM(amount) AS total FROM pay GROUP BY region;
"""

BAD_VALUES = [
    b'{"id": 100, "amount": ',                                   # truncated
    b"not json at all",
    b'{"id": "x7", "amount": 1.5, "region": "eu"}',               # a non-numeric string into BIGINT
    b"[1, 2, 3]",                                                 # not an object
    b'{"id": 104, "amount": 2.5, "region": "\xff\xfe"}',          # invalid UTF-8
    b'{"id": 105, "amount": {"a": 1}, "region": "eu"}',           # an object into DOUBLE
    b'{"id": 106, "amount": 1.5, "region": "eu"} trailing',       # garbage after the object
    b'{"id": 99999999999999999999999, "amount": 1, "region": "eu"}',  # beyond BIGINT
    b'{"id": 108, "amount": "abc", "region": "eu"}',              # a non-numeric string into DOUBLE
]
REGIONS = ["eu", "us", "ap"]


UPSERT_SOURCE = """
CREATE TABLE acct (
  id     BIGINT,
  region STRING,
  bal    INT,
  PRIMARY KEY (id) NOT ENFORCED
) WITH ('changelog.mode' = 'upsert'{opts});

CREATE TABLE {p}_by_region (region STRING PRIMARY KEY NOT ENFORCED, n BIGINT, bal INT);
INSERT INTO {p}_by_region SELECT region, COUNT(*) AS n, SUM(bal) AS bal FROM acct GROUP BY region;
"""

UPSERT_INPUT = [
    ("good", Rec({"id": 1}, {"id": 1, "region": "eu", "bal": 10})),
    ("good", Rec({"id": 2}, {"id": 2, "region": "us", "bal": 5})),
    ("good", Rec({"id": 3}, {"id": 3, "region": "eu", "bal": 7})),
    ("bad", Rec(b"not json", None)),                                  # a tombstone whose key cannot be read
    ("bad", Rec(None, None)),                                         # a tombstone with no key at all
    ("bad", Rec({"id": 2}, b'{"id": 2, "region": "us", "bal": "x"}')),  # a string into INT
    ("bad", Rec(b'{"id": "two"}', None)),                             # a key column of the wrong type
    ("good", Rec({"id": 1}, None)),                                   # a real delete
    ("good", Rec({"id": 2}, {"id": 2, "region": "us", "bal": 6})),   # a real update
]


def good(i):
    return {"id": i, "amount": (i * 37 % 1000) / 100, "region": REGIONS[i % 3]}


def skip_input():
    """Good and bad records over partitions 0 and 1, plus one tombstone."""
    recs = []
    bad = list(BAD_VALUES)
    i = 0
    while bad or i < 60:
        i += 1
        p = i % 2
        if bad and i % 5 == 0:
            v = bad.pop(0)
            hdrs = [("trace", b"t-%d" % i), ("bin", b"\x00\x01\xff")] if len(bad) % 3 == 0 else None
            key = None if len(bad) == 4 else b'{"id":%d}' % i
            recs.append(("bad", Rec(key, v, headers=hdrs, partition=p, timestamp=1700000000000 + i)))
        elif i == 33:
            recs.append(("tombstone", Rec({"id": i}, None, partition=p, timestamp=1700000000000 + i)))
        else:
            recs.append(("good", Rec({"id": i}, good(i), partition=p, timestamp=1700000000000 + i)))
    return recs


def expected_results(goods):
    ok = sorted(goods, key=lambda r: r["id"])
    n = collections.Counter()
    total = collections.defaultdict(float)
    for r in goods:
        n[r["region"]] += 1
        total[r["region"]] += r["amount"]
    by_region = {ukey(region=g): {"region": g, "n": n[g], "total": total[g]} for g in n}
    return ok, by_region


def check_ok(b, prefix, goods):
    ok, by_region = expected_results(goods)
    got = sorted(fold_append(read_topic(b.bootstrap, prefix + "_ok")), key=lambda r: (r.get("id") is None, r.get("id")))
    check_list("%s_ok (good records only)" % prefix, got, ok)


def check_agg(b, prefix, goods):
    ok, by_region = expected_results(goods)
    check_table("%s_by_region (good records only)" % prefix, fold_upsert(read_topic(b.bootstrap, prefix + "_by_region")),
                by_region, rel_tol=1e-6)


def check_skip_count(stderr, nbad, njobs):
    """Each job's summary line counts the malformed records it skipped."""
    counts = [int(m.group(1) or m.group(2)) for m in
              re.finditer(r"\b(\d+) malformed (?:records? )?skipped\b|\bskipped:? (\d+) malformed\b", stderr)]
    check(counts == [nbad] * njobs, "stderr should count %d skipped malformed records for each of %d jobs (found %s):\n%s"
          % (nbad, njobs, counts, stderr))


def fail_mode(eddy, workdir, b):
    """One bad record at partition 2, offset 4 of pay_fail."""
    recs = []
    for p in range(3):
        for k in range(8):
            i = p * 100 + k
            if (p, k) == (2, 4):
                recs.append(Rec({"id": i}, b'{"id": 204, "amount": 12.5, "region": "eu"', partition=p))
            else:
                recs.append(Rec({"id": i}, good(i), partition=p))
    where = produce(b.bootstrap, "pay_fail", recs)
    check(where[2 * 8 + 4] == (2, 4), "the bad record landed at %s, expected partition 2 offset 4" % (where[2 * 8 + 4],))
    sql = SOURCE.format(topic="pay_fail", opts="") + JOB_OK.format(p="pay_fail")
    err = run_job(eddy, b.bootstrap, sql, workdir, "malformed_fail", expect=1).err
    check("pay_fail" in err, "the error should name the topic pay_fail:\n" + err)
    check(re.search(r"partition\W{0,3}2\b", err), "the error should name partition 2:\n" + err)
    check(re.search(r"offset\W{0,3}4\b", err), "the error should name offset 4:\n" + err)
    step("exit 1, the error names topic, partition and offset: %s"
         % next((line for line in err.splitlines() if "offset" in line), "").strip())


def skip_mode(eddy, workdir, b, goods, nbad):
    sql = SOURCE.format(topic="pay", opts=", 'error.mode' = 'skip'") + JOB_OK.format(p="pay_skip") + \
        JOB_AGG.format(p="pay_skip")
    err = run_job(eddy, b.bootstrap, sql, workdir, "malformed_skip").err
    check_ok(b, "pay_skip", goods)
    check_agg(b, "pay_skip", goods)
    check_skip_count(err, nbad, 2)   # two jobs read the topic, each skips every bad record
    check(not read_topic(b.bootstrap, "pay_dlq"), "skip mode without a dead-letter topic wrote to pay_dlq")


def dead_letter(eddy, workdir, b, goods, src_bad):
    # one job reads the source, so every bad record is dead-lettered once
    sql = SOURCE.format(topic="pay", opts=", 'error.mode' = 'skip', 'error.dead-letter-topic' = 'pay_dlq'") + \
        JOB_OK.format(p="pay_dl")
    err = run_job(eddy, b.bootstrap, sql, workdir, "malformed_dead_letter").err
    check_ok(b, "pay_dl", goods)
    check_skip_count(err, len(src_bad), 1)
    dl = read_topic(b.bootstrap, "pay_dlq")

    def diff(what, ident):
        exp = collections.Counter(ident(m) for m in src_bad)
        got = collections.Counter(ident(m) for m in dl)
        if got != exp:
            raise Failure("pay_dlq should hold exactly the %d bad records, unchanged (%s):\n  missing    %s\n"
                          "  unexpected %s" % (len(src_bad), what, sorted((exp - got).elements(), key=repr),
                                               sorted((got - exp).elements(), key=repr)))
    diff("key, value, timestamp", lambda m: (m.key, m.value, m.timestamp))
    # order within each source partition is kept
    pos = {m.value: (m.partition, m.offset) for m in src_bad}
    last = {}
    for m in dl:
        p, o = pos[m.value]
        check(last.get(p, -1) < o, "pay_dlq: records of source partition %d out of order" % p)
        last[p] = o
    step("pay_dlq: the %d bad records, key, value and timestamp unchanged, in order" % len(dl))
    # the record's own headers, unchanged, after eddy's eddy.error.* headers (why, where from)
    own = lambda m: tuple(h for h in m.headers if not h[0].startswith("eddy.error."))
    diff("with their headers", lambda m: (m.key, m.value, m.timestamp, own(m)))
    for m in dl:
        h = dict((k, v.decode()) for k, v in m.headers if k.startswith("eddy.error."))
        p, o = pos[m.value]
        check(h.get("eddy.error.topic") == "pay" and h.get("eddy.error.partition") == str(p) and h.get("eddy.error.offset") == str(o)
              and h.get("eddy.error.table") == "pay" and h.get("eddy.error.job") == "pay_dl_ok" and h.get("eddy.error.reason"),
              "pay_dlq: the dead letter of partition %d offset %d has headers %s" % (p, o, m.headers))
    step("pay_dlq: their own headers unchanged too, after eddy.error.* (reason, topic, partition, offset, table, job)")


def upsert_source(eddy, workdir, b):
    produce(b.bootstrap, "acct", [r for _, r in UPSERT_INPUT])
    first_bad = next(i for i, (kind, _) in enumerate(UPSERT_INPUT) if kind == "bad")
    err = run_job(eddy, b.bootstrap, UPSERT_SOURCE.format(opts="", p="acct_fail"), workdir,
                  "malformed_upsert_fail", expect=1).err
    check("acct" in err and re.search(r"partition\W{0,3}0\b", err) and re.search(r"offset\W{0,3}%d\b" % first_bad, err),
          "fail mode: the error should name topic acct, partition 0, offset %d:\n%s" % (first_bad, err))
    step("fail mode: exit 1 naming acct partition 0 offset %d" % first_bad)
    err = run_job(eddy, b.bootstrap, UPSERT_SOURCE.format(opts=", 'error.mode' = 'skip'", p="acct_skip"),
                  workdir, "malformed_upsert_skip").err
    rows = last_values((r.key["id"], r.value) for kind, r in UPSERT_INPUT if kind == "good")
    n = collections.Counter(v["region"] for v in rows.values())
    bal = collections.Counter()
    for v in rows.values():
        bal[v["region"]] += v["bal"]
    check_table("acct_skip_by_region (good records only)", fold_upsert(read_topic(b.bootstrap, "acct_skip_by_region")),
                {ukey(region=g): {"region": g, "n": n[g], "bal": bal[g]} for g in n})
    check_skip_count(err, sum(1 for kind, _ in UPSERT_INPUT if kind == "bad"), 1)


def test(eddy, workdir):
    with Broker(eddy, workdir, {"pay_fail": 3, "pay": 2, "pay_dlq": 1, "acct": 1}) as b, Sections() as sec:
        with sec("fail mode (default)"):
            fail_mode(eddy, workdir, b)

        recs = skip_input()
        produce(b.bootstrap, "pay", [r for _, r in recs])
        src = read_topic(b.bootstrap, "pay")
        check(len(src) == len(recs), "pay holds %d records, expected %d" % (len(src), len(recs)))
        goods = [r.value for kind, r in recs if kind == "good"]
        bad_values = [r.value for kind, r in recs if kind == "bad"]
        check(len(bad_values) == len(BAD_VALUES), "the input should hold every bad value")
        src_bad = [m for m in src if m.value in bad_values]

        with sec("skip mode"):
            skip_mode(eddy, workdir, b, goods, len(bad_values))
        with sec("dead-letter topic"):
            dead_letter(eddy, workdir, b, goods, src_bad)
        with sec("upsert source"):
            upsert_source(eddy, workdir, b)


if __name__ == "__main__":
    main(test)
