"""pg/* — the jdbc connector's PostgreSQL sink against a real server.

Each test starts `eddy broker` and a throw-away PostgreSQL cluster
(pgfixture.PgServer: initdb in a temporary directory, a free loopback
port, the `postgres` user when run as root), runs eddy jobs whose sink is
a 'jdbc' table, and reads the table back with psql.  Expected tables are
computed here from the records read back from the source topic.

  upsert     the reference job (GROUP BY region) into an upsert table, in
             two bounded runs (the second resumes from the state file)
  append     a filter + projection into an append table: every row once
  deletes    an upsert-kafka source with updates and tombstones, copied
             into an upsert table (deleted keys go) and counted per owner
             (a group that empties is deleted)
  types      every type, NULLs and awkward strings, 'sink.create-table'
  nested     ROW, ARRAY and MAP columns as jsonb ('sink.create-table'),
             and into a json column of an existing table; a text column
             for one is refused naming it
  mismatch   a table that disagrees with the DDL, a missing table, an
             upsert table without a unique key: clear errors
  restart    PostgreSQL restarted under a running job: it retries and
             the final table is exact
  down       PostgreSQL that stays down: the job fails, saying so
  ahead      eddy ends right after PostgreSQL committed a checkpoint and
             before the state file did (fault injection): the restarted
             job catches up without writing twice
  kill_append, kill_upsert
             kill -9 at random moments while orders stream in: the final
             table equals an uninterrupted run's
  lookup     lookup joins against a PostgreSQL table (inner with a residual
             condition and no cache; LEFT with a PARTIAL cache that must
             hold): every order meets the users the table holds; a user
             renamed in the database mid-run keeps its cached name
  debezium   Debezium change events ('format' = 'debezium-json', plain and
             with the schema envelope): snapshot reads, inserts, updates,
             deletes and tombstones replicate a table into PostgreSQL, and
             a GROUP BY over the replicated table is right under updates
             and deletes; a missing before image fails with the hint
"""
import json
import math
import re
import signal
import os
import random
import time

from eddyharness import (Broker, Job, Rec, check, gen_orders, last_values, main, produce, read_topic, run, run_bounded,
                         start_gen_orders, finish, step, wait_for, write_file, quiet, check_sanitizer, read_text)
from pgfixture import PgServer

CKPT = "SET 'execution.checkpointing.interval' = '200 ms';\n"

ORDERS_SRC = """
CREATE TABLE orders_raw (
  order_id BIGINT,
  user_id  BIGINT,
  amount   DOUBLE,
  region   STRING
) WITH ('scan.startup.mode' = 'earliest-offset');
"""


def jdbc(pg, extra=""):
    return "'connector' = 'jdbc', 'url' = '%s'%s" % (pg.url, extra)


def summary_sql(pg, extra=", 'sink.create-table' = 'true'"):
    return CKPT + ORDERS_SRC + """
CREATE TABLE orders_summary (
  region STRING PRIMARY KEY NOT ENFORCED,
  total_orders BIGINT,
  total_sales DOUBLE
) WITH (%s);
INSERT INTO orders_summary
SELECT region, COUNT(*) AS total_orders, SUM(amount) AS total_sales FROM orders_raw GROUP BY region;
""" % jdbc(pg, extra)


def append_sql(pg, extra=", 'sink.create-table' = 'true'"):
    return CKPT + ORDERS_SRC + """
CREATE TABLE big_orders (
  order_id BIGINT,
  user_id  BIGINT,
  amount   DOUBLE,
  region   STRING
) WITH (%s);
INSERT INTO big_orders SELECT order_id, user_id, amount, UPPER(region) FROM orders_raw WHERE amount >= 100;
""" % jdbc(pg, extra)


def orders(bootstrap):
    return [json.loads(m.value) for m in read_topic(bootstrap, "orders_raw")]


def expect_summary(os_):
    per = {}
    for o in os_:
        per.setdefault(o["region"], []).append(o["amount"])
    return {r: (len(a), math.fsum(a)) for r, a in per.items()}


def check_summary(pg, os_, what):
    exp = expect_summary(os_)
    got = {r: (int(n), float(s)) for r, n, s in pg.rows("SELECT region, total_orders, total_sales FROM orders_summary")}
    check(set(got) == set(exp), "%s: regions %s, expected %s" % (what, sorted(got), sorted(exp)))
    for r in exp:
        check(got[r][0] == exp[r][0] and math.isclose(got[r][1], exp[r][1], rel_tol=1e-9),
              "%s: region %s is %r, expected %r" % (what, r, got[r], exp[r]))


def expect_append(os_):
    return sorted((o["order_id"], o["user_id"], o["amount"], o["region"].upper()) for o in os_ if o["amount"] >= 100)


def check_append(pg, os_, what):
    got = sorted((int(a), int(b), float(c), d) for a, b, c, d in pg.rows("SELECT order_id, user_id, amount, region FROM big_orders"))
    exp = expect_append(os_)
    if got != exp:
        gs, es = set(got), set(exp)
        dups = len(got) - len(gs)
        raise AssertionError("%s: %d rows, expected %d (%d duplicated, %d missing, %d extra)"
                             % (what, len(got), len(exp), dups, len(es - gs), len(gs - es)))


# --------------------------------------------------------------------------

def t_upsert(eddy, wd):
    with PgServer() as pg, Broker(eddy, wd, {"orders_raw": 4}) as b:
        sql = write_file(wd, "summary.sql", summary_sql(pg))
        state = os.path.join(wd, "summary.db")
        gen_orders(eddy, b.bootstrap, "orders_raw", 3000, seed=3)
        run_bounded(eddy, b.bootstrap, sql, cwd=wd, state=state)
        check_summary(pg, orders(b.bootstrap), "after run 1")
        gen_orders(eddy, b.bootstrap, "orders_raw", 2000, seed=4)
        r = run_bounded(eddy, b.bootstrap, sql, cwd=wd, state=state)
        check("resumes from" in r.err, "the second run did not resume:\n" + r.err)
        check_summary(pg, orders(b.bootstrap), "after run 2")
        marker = pg.rows("SELECT sink, checkpoint FROM eddy_checkpoints")
        check(len(marker) == 1 and marker[0][0] == "orders_summary" and int(marker[0][1]) >= 2,
              "eddy_checkpoints holds %r" % marker)


def t_append(eddy, wd):
    with PgServer() as pg, Broker(eddy, wd, {"orders_raw": 4}) as b:
        # a table made beforehand, with a column the DDL does not write (it has a default)
        pg.exec("CREATE TABLE big_orders (id serial, order_id bigint, user_id bigint, amount double precision, region text)")
        sql = write_file(wd, "append.sql", append_sql(pg, ", 'sink.buffer-flush.max-rows' = '100'"))
        state = os.path.join(wd, "append.db")
        gen_orders(eddy, b.bootstrap, "orders_raw", 3000, seed=5)
        run_bounded(eddy, b.bootstrap, sql, cwd=wd, state=state)
        check_append(pg, orders(b.bootstrap), "after run 1")
        gen_orders(eddy, b.bootstrap, "orders_raw", 1000, seed=6)
        run_bounded(eddy, b.bootstrap, sql, cwd=wd, state=state)
        check_append(pg, orders(b.bootstrap), "after run 2")
        # at-least-once and no state file: commits without a marker row
        pg.exec("CREATE TABLE big2 (LIKE big_orders INCLUDING DEFAULTS)")
        sql2 = write_file(wd, "append2.sql", append_sql(pg, ", 'table-name' = 'big2', 'sink.delivery-guarantee' = 'at-least-once'"))
        run_bounded(eddy, b.bootstrap, sql2, cwd=wd, state="none")
        n = pg.rows("SELECT count(*) FROM big2")[0][0]
        check(int(n) == len(expect_append(orders(b.bootstrap))), "big2 holds %s rows" % n)


ACCOUNTS = CKPT + """
CREATE TABLE accounts (id BIGINT PRIMARY KEY NOT ENFORCED, owner STRING, balance DOUBLE)
  WITH ('connector' = 'upsert-kafka', 'topic' = 'accounts', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE accounts_pg (id BIGINT PRIMARY KEY NOT ENFORCED, owner STRING, balance DOUBLE) WITH (%s);
INSERT INTO accounts_pg SELECT id, owner, balance FROM accounts;
"""

OWNERS = CKPT + """
CREATE TABLE accounts (id BIGINT PRIMARY KEY NOT ENFORCED, owner STRING, balance DOUBLE)
  WITH ('connector' = 'upsert-kafka', 'topic' = 'accounts', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE per_owner (owner STRING PRIMARY KEY NOT ENFORCED, n BIGINT, total DOUBLE) WITH (%s);
INSERT INTO per_owner SELECT owner, COUNT(*) AS n, SUM(balance) AS total FROM accounts GROUP BY owner;
"""


def t_deletes(eddy, wd):
    rng = random.Random(7)
    with PgServer() as pg, Broker(eddy, wd, {"accounts": 3}) as b:
        recs = []
        for i in range(3000):
            k = rng.randint(1, 300)
            if rng.random() < 0.15:
                recs.append(Rec({"id": k}, None))
            else:
                recs.append(Rec({"id": k}, {"id": k, "owner": "o%d" % rng.randint(1, 12), "balance": rng.randint(0, 10000) / 4}))
        # every account of o13 and o14 is deleted again: their groups must go
        for k in range(1001, 1011):
            recs.append(Rec({"id": k}, {"id": k, "owner": "o13" if k < 1006 else "o14", "balance": 1.0}))
        for k in range(1001, 1011):
            recs.append(Rec({"id": k}, None))
        produce(b.bootstrap, "accounts", recs)
        run_bounded(eddy, b.bootstrap, write_file(wd, "acc.sql", ACCOUNTS % jdbc(pg, ", 'sink.create-table' = 'true'")), cwd=wd,
                    state=os.path.join(wd, "acc.db"))
        run_bounded(eddy, b.bootstrap, write_file(wd, "own.sql", OWNERS % jdbc(pg, ", 'sink.create-table' = 'true'")), cwd=wd,
                    state=os.path.join(wd, "own.db"))
        final = {}
        for m in read_topic(b.bootstrap, "accounts"):
            k = json.loads(m.key)["id"]
            if m.value is None:
                final.pop(k, None)
            else:
                final[k] = json.loads(m.value)
        got = {int(i): (o, float(x)) for i, o, x in pg.rows("SELECT id, owner, balance FROM accounts_pg")}
        exp = {k: (v["owner"], v["balance"]) for k, v in final.items()}
        check(got == exp, "accounts_pg: %d rows, expected %d; differing ids %s"
              % (len(got), len(exp), sorted(set(got.items()) ^ set(exp.items()))[:10]))
        per = {}
        for v in final.values():
            n, t = per.get(v["owner"], (0, 0.0))
            per[v["owner"]] = (n + 1, t + v["balance"])
        got = {o: (int(n), float(t)) for o, n, t in pg.rows("SELECT owner, n, total FROM per_owner")}
        check("o13" not in got and "o14" not in got, "groups whose rows were all deleted are still there: %r" % got)
        check(got == per, "per_owner is %r, expected %r" % (got, per))


TYPES = """
CREATE TABLE src (k INT, b BOOLEAN, i INT, bi BIGINT, d DOUBLE, dc DECIMAL(12, 3), s STRING, v VARCHAR(20),
                  bs BYTES, dt DATE, ts TIMESTAMP(3), tz TIMESTAMP_LTZ(3))
  WITH ('topic' = 'typed', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE typed (k INT NOT NULL, b BOOLEAN, i INT, bi BIGINT, d DOUBLE, dc DECIMAL(12, 3), s STRING, v VARCHAR(20),
                    bs BYTES, dt DATE, ts TIMESTAMP(3), tz TIMESTAMP_LTZ(3), PRIMARY KEY (k) NOT ENFORCED)
  WITH (%s);
INSERT INTO typed SELECT * FROM src;
"""


def t_types(eddy, wd):
    with PgServer() as pg, Broker(eddy, wd, {"typed": 1}) as b:
        produce(b.bootstrap, "typed", [
            Rec(None, {"k": 1, "b": True, "i": -2147483648, "bi": 9007199254740993, "d": 0.1, "dc": "-123456789.125",
                       "s": "tab\there\nnew line \\ back'slash \"q\" \u00e9\u4e2d", "v": "short",
                       "bs": "AAEC/w==", "dt": "2024-02-29", "ts": "2024-01-02 03:04:05.678", "tz": "2024-01-02T03:04:05.678Z"}),
            Rec(None, {"k": 2}),
            Rec(None, {"k": 3, "b": False, "i": 7, "bi": -1, "d": "-Infinity", "dc": 0.5, "s": "", "v": "\\N",
                       "bs": "", "dt": "1969-12-31", "ts": "1970-01-01 00:00:00", "tz": 0}),
        ])
        sql = write_file(wd, "types.sql", TYPES % jdbc(pg, ", 'sink.create-table' = 'true'"))
        run_bounded(eddy, b.bootstrap, sql, cwd=wd, state=os.path.join(wd, "types.db"))
        cols = dict(pg.rows("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'typed'"))
        want = {"k": "integer", "b": "boolean", "i": "integer", "bi": "bigint", "d": "double precision", "dc": "numeric",
                "s": "text", "v": "character varying", "bs": "bytea", "dt": "date", "ts": "timestamp without time zone",
                "tz": "timestamp with time zone"}
        check(cols == want, "created columns %r, expected %r" % (cols, want))
        rows = pg.rows("SET TIME ZONE 'UTC'; SELECT k, b, i, bi, d, dc, s, v, encode(bs, 'hex'), dt, ts, tz FROM typed ORDER BY k")
        exp = [
            ("1", "t", "-2147483648", "9007199254740993", "0.1", "-123456789.125",
             "tab\there\nnew line \\ back'slash \"q\" \u00e9\u4e2d", "short", "000102ff", "2024-02-29",
             "2024-01-02 03:04:05.678", "2024-01-02 03:04:05.678+00"),
            ("2",) + (None,) * 11,
            ("3", "f", "7", "-1", "-Infinity", "0.500", "", "\\N", "", "1969-12-31", "1970-01-01 00:00:00",
             "1970-01-01 00:00:00+00"),
        ]
        check(rows == exp, "typed holds\n  %r\nexpected\n  %r" % (rows, exp))


NESTED = """
CREATE TABLE src (k INT, p ROW<name STRING, addr ROW<city STRING, zip STRING>>, tags ARRAY<STRING>, m MAP<STRING, DOUBLE>)
  WITH ('topic' = 'nested', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE %s (k INT NOT NULL, p ROW<name STRING, addr ROW<city STRING, zip STRING>>, tags ARRAY<STRING>,
                   m MAP<STRING, DOUBLE>, PRIMARY KEY (k) NOT ENFORCED)
  WITH (%s);
INSERT INTO %s SELECT * FROM src;
"""


def t_nested(eddy, wd):
    recs = [
        {"k": 1, "p": {"name": "tab\there \"q\" \\ \u00e9", "addr": {"city": "Oslo", "zip": "0150"}}, "tags": ["a", None, "b"],
         "m": {"x": 1.5, "y": None}},
        {"k": 2},
        {"k": 3, "p": {"name": None, "addr": None}, "tags": [], "m": {}},
    ]
    with PgServer() as pg, Broker(eddy, wd, {"nested": 1}) as b:
        produce(b.bootstrap, "nested", [Rec(None, r) for r in recs])
        sql = write_file(wd, "nested.sql", NESTED % ("nested_out", jdbc(pg, ", 'sink.create-table' = 'true', 'table-name' = 'nested_out'"), "nested_out"))
        run_bounded(eddy, b.bootstrap, sql, cwd=wd, state=os.path.join(wd, "nested.db"))
        cols = dict(pg.rows("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'nested_out'"))
        check(cols == {"k": "integer", "p": "jsonb", "tags": "jsonb", "m": "jsonb"}, "created columns %r" % cols)
        want = {r["k"]: (r.get("p"), r.get("tags"), r.get("m")) for r in recs}

        def table(name):
            got = {}
            for k, p, tags, m in pg.rows("SELECT k, p::text, tags::text, m::text FROM %s ORDER BY k" % name):
                got[int(k)] = tuple(None if x is None else json.loads(x) for x in (p, tags, m))
            return got
        got = table("nested_out")
        check(got == want, "nested_out holds\n  %r\nexpected\n  %r" % (got, want))
        step("nested columns written as jsonb: %d rows" % len(got))
        # an existing table with json columns takes them too; a text column is refused by name
        pg.exec("CREATE TABLE nested_json (k integer PRIMARY KEY, p json, tags json, m jsonb)")
        sql = write_file(wd, "nested2.sql", NESTED % ("nested_json", jdbc(pg, ", 'table-name' = 'nested_json'"), "nested_json"))
        run_bounded(eddy, b.bootstrap, sql, cwd=wd, state=os.path.join(wd, "nested2.db"))
        got = table("nested_json")
        check(got == want, "nested_json holds\n  %r\nexpected\n  %r" % (got, want))
        pg.exec("CREATE TABLE nested_text (k integer PRIMARY KEY, p text, tags jsonb, m jsonb)")
        sql = write_file(wd, "nested3.sql", NESTED % ("nested_text", jdbc(pg, ", 'table-name' = 'nested_text'"), "nested_text"))
        r = run_bounded(eddy, b.bootstrap, sql, cwd=wd, state="none", expect=1)
        check("column 'p' of PostgreSQL table 'nested_text' is text" in r.err, "a text column for a ROW, stderr:\n" + r.err)


def t_mismatch(eddy, wd):
    with PgServer() as pg, Broker(eddy, wd, {"orders_raw": 1}) as b:
        gen_orders(eddy, b.bootstrap, "orders_raw", 10)
        pg.exec("CREATE TABLE orders_summary (region text PRIMARY KEY, total_orders bigint, total_sales text)")
        r = run_bounded(eddy, b.bootstrap, write_file(wd, "m1.sql", summary_sql(pg, "")), cwd=wd, state="none", expect=1)
        check("column 'total_sales' of PostgreSQL table 'orders_summary' is text, but the DDL declares it DOUBLE" in r.err,
              "wrong type, stderr:\n" + r.err)
        pg.exec("DROP TABLE orders_summary")
        r = run_bounded(eddy, b.bootstrap, write_file(wd, "m2.sql", summary_sql(pg, "")), cwd=wd, state="none", expect=1)
        check("PostgreSQL table 'orders_summary' does not exist" in r.err and "sink.create-table" in r.err,
              "missing table, stderr:\n" + r.err)
        pg.exec("CREATE TABLE orders_summary (region text, total_orders bigint, total_sales float8)")
        r = run_bounded(eddy, b.bootstrap, write_file(wd, "m3.sql", summary_sql(pg, "")), cwd=wd, state="none", expect=1)
        check("no PRIMARY KEY or UNIQUE constraint on (region)" in r.err, "no unique key, stderr:\n" + r.err)
        pg.exec("DROP TABLE orders_summary; CREATE TABLE orders_summary (region text PRIMARY KEY, total_orders bigint)")
        r = run_bounded(eddy, b.bootstrap, write_file(wd, "m4.sql", summary_sql(pg, "")), cwd=wd, state="none", expect=1)
        check("PostgreSQL table 'orders_summary' has no column 'total_sales'" in r.err, "missing column, stderr:\n" + r.err)
        r = run_bounded(eddy, b.bootstrap, write_file(wd, "m5.sql", summary_sql(pg, "").replace(pg.url, "jdbc:mysql://x/y")),
                        cwd=wd, state="none", expect=1)
        check("only PostgreSQL is supported" in r.err, "mysql url, stderr:\n" + r.err)


def stream_job(eddy, wd, b, pg, sql_text, count, rate, name):
    sql = write_file(wd, name + ".sql", sql_text)
    state = os.path.join(wd, name + ".db")
    gen = start_gen_orders(eddy, b.bootstrap, "orders_raw", count, wd, seed=11, rate=rate)
    return sql, state, gen


def t_restart(eddy, wd):
    with PgServer() as pg, Broker(eddy, wd, {"orders_raw": 4}) as b:
        sql, state, gen = stream_job(eddy, wd, b, pg, summary_sql(pg, ", 'sink.create-table' = 'true', 'sink.max-retries' = '8'"),
                                     6000, 2000, "restart")
        job = Job(eddy, b.bootstrap, sql, wd, state=state, extra=["--http", "127.0.0.1:0"])
        try:
            wait_for("rows in orders_summary", lambda: pg.rows("SELECT count(*) FROM orders_summary")[0][0] != "0"
                     if _table_exists(pg, "orders_summary") else None, timeout=20, job=job)
            pg.restart(down_seconds=1.0)
            finish(gen, "eddy gen orders", timeout=40)
            os_ = orders(b.bootstrap)
            wait_for("every order counted", lambda: _total(pg) == len(os_), timeout=30, job=job)
            retries = _sink_retries(job)
            rc, err = job.term()
            check(rc == 0, "job exit %s:\n%s" % (rc, err[-2000:]))
            check("retry 1 of 8" in err, "no retry was reported:\n" + err[-2000:])
            check(retries >= 1, "/metrics: eddy_job_sink_retries_total is %s after a retry" % retries)
            check_summary(pg, os_, "after the restart")
        finally:
            job.kill()


def t_down(eddy, wd):
    with PgServer() as pg, Broker(eddy, wd, {"orders_raw": 4}) as b:
        sql, state, gen = stream_job(eddy, wd, b, pg, summary_sql(pg, ", 'sink.create-table' = 'true', 'sink.max-retries' = '2'"),
                                     4000, 1000, "down")
        job = Job(eddy, b.bootstrap, sql, wd, state=state)
        try:
            wait_for("rows in orders_summary", lambda: _table_exists(pg, "orders_summary") and _total(pg) > 0, timeout=20, job=job)
            pg.stop()
            rc = job.wait(30)
            check(rc is not None and rc != 0, "the job did not fail after PostgreSQL went away (exit %s)" % rc)
            err = job.stderr()
            check_sanitizer(job.name, err)
            check("the connection failed and 2 retries did not bring it back" in err and "orders_summary" in err,
                  "unclear failure:\n" + err[-2000:])
        finally:
            job.kill()
            finish(gen, "eddy gen orders", timeout=40)


def _sink_retries(job):
    """eddy_job_sink_retries_total from the job's /metrics (--http)."""
    import re
    import urllib.request
    m = re.search(r"serving (http://127\.0\.0\.1:[0-9]+/)", job.stderr())
    check(m, "the job did not print its HTTP address:\n" + job.stderr()[-2000:])
    with urllib.request.urlopen(m.group(1) + "metrics", timeout=10) as r:
        text = r.read().decode()
    m = re.search(r'^eddy_job_sink_retries_total\{job="[^"]*"\} ([0-9]+)$', text, re.M)
    check(m, "no eddy_job_sink_retries_total in /metrics")
    return int(m.group(1))


def _table_exists(pg, name):
    return pg.rows("SELECT to_regclass('%s') IS NOT NULL" % name)[0][0] == "t"


def _total(pg):
    v = pg.rows("SELECT coalesce(sum(total_orders), 0) FROM orders_summary")[0][0]
    return int(v)


def _sqlite_checkpoint(state):
    import sqlite3
    con = sqlite3.connect(state)
    try:
        r = con.execute("SELECT value FROM eddy_meta WHERE key = 'checkpoint'").fetchone()
        return int(r[0]) if r else 0
    finally:
        con.close()


def t_ahead(eddy, wd):
    """The process ends right after PostgreSQL committed checkpoint 3 and
    before the state file did: PostgreSQL is one checkpoint ahead.  The
    restarted job must re-read up to that checkpoint's offsets without
    writing (an append table would get those rows twice), then go on."""
    with PgServer() as pg, Broker(eddy, wd, {"orders_raw": 4}) as b:
        sql, state, gen = stream_job(eddy, wd, b, pg, append_sql(pg), 4000, 2000, "ahead")
        os.environ["EDDY_TEST_EXIT_AFTER_SINK_COMMIT"] = "3"
        try:
            job = Job(eddy, b.bootstrap, sql, wd, state=state)
        finally:
            del os.environ["EDDY_TEST_EXIT_AFTER_SINK_COMMIT"]
        rc = job.wait(30)
        check(rc == 137, "the job was to end after the sink's commit of checkpoint 3 (exit 137), it ended with %s:\n%s"
              % (rc, job.stderr()[-2000:]))
        marker = int(pg.rows("SELECT checkpoint FROM eddy_checkpoints")[0][0])
        check(marker == 3 and _sqlite_checkpoint(state) == 2,
              "PostgreSQL holds checkpoint %d and the state file %d, expected 3 and 2" % (marker, _sqlite_checkpoint(state)))
        finish(gen, "eddy gen orders", timeout=40)
        job = Job(eddy, b.bootstrap, sql, wd, state=state)
        try:
            os_ = orders(b.bootstrap)
            n = len(expect_append(os_))
            wait_for("%d rows" % n, lambda: int(pg.rows("SELECT count(*) FROM big_orders")[0][0]) >= n, timeout=30, job=job)
            rc, err = job.term()
            check(rc == 0 and "PostgreSQL holds checkpoint 3, the state file 2" in err, "restart: exit %s\n%s" % (rc, err[-2000:]))
            check_append(pg, os_, "after catching up")
        finally:
            job.kill()


def kill_scenario(eddy, wd, kind):
    rng = random.Random(int(os.environ.get("EDDY_TEST_SEED", "0")) or None)
    seed = rng.randrange(1 << 30)
    rng = random.Random(seed)
    step("random kills, seed %d (EDDY_TEST_SEED=%d repeats them)" % (seed, seed))
    with PgServer() as pg, Broker(eddy, wd, {"orders_raw": 4}) as b:
        text = append_sql(pg) if kind == "append" else summary_sql(pg)
        sql, state, gen = stream_job(eddy, wd, b, pg, text, 12000, 3000, "kill")
        kills = 0
        while gen.poll() is None and kills < 6:
            job = Job(eddy, b.bootstrap, sql, wd, state=state)
            time.sleep(rng.uniform(0.3, 1.2))
            if job.alive():
                job.kill()
                kills += 1
                step("kill -9 #%d" % kills)
            else:
                raise AssertionError("job exited early:\n" + job.stderr()[-2000:])
        finish(gen, "eddy gen orders", timeout=60)
        os_ = orders(b.bootstrap)
        job = Job(eddy, b.bootstrap, sql, wd, state=state)
        try:
            if kind == "append":
                n = len(expect_append(os_))
                wait_for("%d rows" % n, lambda: int(pg.rows("SELECT count(*) FROM big_orders")[0][0]) >= n, timeout=40, job=job)
            else:
                wait_for("every order counted", lambda: _table_exists(pg, "orders_summary") and _total(pg) == len(os_),
                         timeout=40, job=job)
            rc, err = job.term()
            check(rc == 0, "final job exit %s:\n%s" % (rc, err[-2000:]))
        finally:
            job.kill()
        if kind == "append":
            check_append(pg, os_, "after %d kills" % kills)
        else:
            check_summary(pg, os_, "after %d kills" % kills)


def t_kill_append(eddy, wd):
    kill_scenario(eddy, wd, "append")


def t_kill_upsert(eddy, wd):
    kill_scenario(eddy, wd, "upsert")


CDC_COPY = CKPT + """
CREATE TABLE customers (id BIGINT, name STRING, country STRING, balance DOUBLE, PRIMARY KEY (id) NOT ENFORCED)
  WITH ('topic' = '{topic}', 'format' = 'debezium-json', 'scan.startup.mode' = 'earliest-offset'{extra});
CREATE TABLE {t} (id BIGINT, name STRING, country STRING, balance DOUBLE, PRIMARY KEY (id) NOT ENFORCED) WITH ({w});
INSERT INTO {t} SELECT * FROM customers;
"""

CDC_AGG = CKPT + """
CREATE TABLE customers (id BIGINT, name STRING, country STRING, balance DOUBLE, PRIMARY KEY (id) NOT ENFORCED)
  WITH ('topic' = '{topic}', 'format' = 'debezium-json', 'scan.startup.mode' = 'earliest-offset'{extra});
CREATE TABLE {t} (country STRING PRIMARY KEY NOT ENFORCED, n BIGINT, total DOUBLE) WITH ({w});
INSERT INTO {t} SELECT country, COUNT(*) AS n, SUM(balance) AS total FROM customers GROUP BY country;
"""


def cdc_events(rng, n):
    """Debezium events of a customers table: (key, envelope|None) and the final table."""
    table, out = {}, []
    countries = ["de", "fr", "it", "es", "pt"]
    for i in range(1, 41):   # the snapshot
        row = {"id": i, "name": "c%d" % i, "country": rng.choice(countries), "balance": rng.randint(0, 1000) / 4}
        table[i] = row
        out.append(({"id": i}, {"before": None, "after": row, "op": "r", "source": {"table": "customers", "lsn": i},
                                "ts_ms": 1700000000000 + i}))
    for _ in range(n):
        k = rng.randint(1, 80)
        if k in table and rng.random() < 0.25:
            out.append(({"id": k}, {"before": table.pop(k), "after": None, "op": "d", "ts_ms": 1}))
            out.append(({"id": k}, None))   # the tombstone Debezium writes after a delete
        elif k in table:
            row = dict(table[k], balance=rng.randint(0, 1000) / 4, country=rng.choice(countries + ["nl"]))
            out.append(({"id": k}, {"before": table[k], "after": row, "op": "u", "ts_ms": 1, "source": {"x": [1, {"y": "}"}]}}))
            table[k] = row
        else:
            row = {"id": k, "name": "n%d" % k, "country": rng.choice(countries), "balance": rng.randint(0, 1000) / 4}
            out.append(({"id": k}, {"op": "c", "after": row, "before": None, "ts_ms": 1}))
            table[k] = row
    # every customer in "lu" comes and goes: its group must vanish
    for k in (901, 902):
        row = {"id": k, "name": "lu", "country": "lu", "balance": 1.0}
        out.append(({"id": k}, {"before": None, "after": row, "op": "c"}))
        out.append(({"id": k}, {"before": row, "after": None, "op": "d"}))
        out.append(({"id": k}, None))
    return out, table


def t_debezium(eddy, wd):
    rng = random.Random(17)
    events, final = cdc_events(rng, 1500)
    schema = {"type": "struct", "fields": [{"field": "before"}, {"field": "after"}], "name": "dbserver1.inventory.customers.Envelope"}
    with PgServer() as pg, Broker(eddy, wd, {"cdc": 3, "cdc_env": 2, "cdc_bad": 1}) as b:
        produce(b.bootstrap, "cdc", [Rec(k, v, partition=k["id"] % 3) for k, v in events])
        produce(b.bootstrap, "cdc_env", [Rec(k, None if v is None else {"schema": schema, "payload": v}, partition=k["id"] % 2)
                                         for k, v in events])
        w = jdbc(pg, ", 'sink.create-table' = 'true'")
        for topic, extra, t in (("cdc", "", "plain"), ("cdc_env", ", 'debezium-json.schema-include' = 'true'", "env")):
            run_bounded(eddy, b.bootstrap, write_file(wd, t + "_copy.sql", CDC_COPY.format(topic=topic, extra=extra, t=t + "_copy", w=w)),
                        cwd=wd, state=os.path.join(wd, t + "_copy.db"))
            run_bounded(eddy, b.bootstrap, write_file(wd, t + "_agg.sql", CDC_AGG.format(topic=topic, extra=extra, t=t + "_agg", w=w)),
                        cwd=wd, state=os.path.join(wd, t + "_agg.db"))
            got = {int(i): (nm, c, float(x)) for i, nm, c, x in pg.rows("SELECT id, name, country, balance FROM %s_copy" % t)}
            exp = {k: (v["name"], v["country"], v["balance"]) for k, v in final.items()}
            check(got == exp, "%s_copy: %d rows, expected %d; differing: %s"
                  % (t, len(got), len(exp), sorted(set(got.items()) ^ set(exp.items()))[:6]))
            per = {}
            for v in final.values():
                n, s = per.get(v["country"], (0, 0.0))
                per[v["country"]] = (n + 1, s + v["balance"])
            got = {c: (int(n), float(s)) for c, n, s in pg.rows("SELECT country, n, total FROM %s_agg" % t)}
            check(got == per, "%s_agg is %r, expected %r" % (t, got, per))
        # an update without its before image (REPLICA IDENTITY DEFAULT in PostgreSQL)
        produce(b.bootstrap, "cdc_bad", [Rec({"id": 1}, {"before": None, "after": {"id": 1, "name": "x", "country": "de", "balance": 1},
                                                          "op": "u"})])
        r = run_bounded(eddy, b.bootstrap, write_file(wd, "bad.sql", CDC_AGG.format(topic="cdc_bad", extra="", t="bad", w=w)), cwd=wd,
                        state="none", expect=1)
        check("topic 'cdc_bad' partition 0 offset 0" in r.err and "REPLICA IDENTITY FULL" in r.err, "no hint:\n" + r.err)
        # the envelope without the option: a clear message
        r = run_bounded(eddy, b.bootstrap, write_file(wd, "env.sql", CDC_AGG.format(topic="cdc_env", extra="", t="env2", w=w)), cwd=wd,
                        state="none", expect=1)
        check("set 'debezium-json.schema-include' = 'true'" in r.err, "envelope without the option:\n" + r.err)


DBZ_VALUE = {"type": "record", "name": "Value", "namespace": "dbserver1.inventory.customers", "fields": [
    {"name": "id", "type": "long"}, {"name": "name", "type": ["null", "string"], "default": None},
    {"name": "country", "type": ["null", "string"], "default": None}, {"name": "balance", "type": ["null", "double"], "default": None}]}
DBZ_ENVELOPE = {"type": "record", "name": "Envelope", "namespace": "dbserver1.inventory.customers", "fields": [
    {"name": "before", "type": ["null", DBZ_VALUE], "default": None},
    {"name": "after", "type": ["null", "Value"], "default": None},
    {"name": "source", "type": {"type": "record", "name": "Source", "namespace": "io.debezium.connector.postgresql", "fields": [
        {"name": "version", "type": "string"}, {"name": "connector", "type": "string"},
        {"name": "snapshot", "type": [{"type": "enum", "name": "SnapshotRecord", "symbols": ["true", "last", "false"]}, "null"]},
        {"name": "lsn", "type": ["null", "long"], "default": None}, {"name": "xmin", "type": ["null", "long"], "default": None}]}},
    {"name": "op", "type": "string"},
    {"name": "ts_ms", "type": ["null", "long"], "default": None},
    {"name": "transaction", "type": ["null", {"type": "record", "name": "block", "namespace": "event", "fields": [
        {"name": "id", "type": "string"}, {"name": "total_order", "type": "long"},
        {"name": "data_collection_order", "type": "long"}]}], "default": None}]}
DBZ_KEY = {"type": "record", "name": "Key", "namespace": "dbserver1.inventory.customers", "fields": [{"name": "id", "type": "long"}]}


def t_debezium_avro(eddy, wd):
    """'format' = 'debezium-avro-confluent': Debezium's Avro envelope
    (Confluent-framed, keys Avro too, through the broker's Schema Registry)
    with snapshot reads, inserts, updates, deletes and tombstones replicates
    a table into PostgreSQL, and a GROUP BY over it is right under updates
    and deletes; a missing before image fails with the same hint as JSON."""
    from confluent_kafka import avro as cavro
    from confluent_kafka.avro import AvroProducer
    rng = random.Random(23)
    events, final = cdc_events(rng, 1500)
    with PgServer() as pg, Broker(eddy, wd, {"cdc_avro": 3, "cdc_avro_bad": 1}) as b:
        prod = AvroProducer({"bootstrap.servers": b.bootstrap, "schema.registry.url": b.registry, "linger.ms": 5},
                            default_key_schema=cavro.loads(json.dumps(DBZ_KEY)), default_value_schema=cavro.loads(json.dumps(DBZ_ENVELOPE)))
        for i, (k, v) in enumerate(events):
            if v is not None:
                v = {"before": v.get("before"), "after": v.get("after"), "op": v["op"], "ts_ms": v.get("ts_ms"),
                     "source": {"version": "2.5.0", "connector": "postgresql", "snapshot": "true" if v["op"] == "r" else "false",
                                "lsn": 1000 + i, "xmin": None},
                     "transaction": {"id": "tx%d" % i, "total_order": i, "data_collection_order": i} if i % 3 == 0 else None}
            prod.produce(topic="cdc_avro", key=k, value=v, partition=k["id"] % 3)
        prod.flush(30)
        w = jdbc(pg, ", 'sink.create-table' = 'true'")
        for t, extra in (("avro_copy", ", 'debezium-avro-confluent.url' = '%s'" % b.registry), ("avro_agg", "")):
            text = (CDC_COPY if t == "avro_copy" else CDC_AGG).format(topic="cdc_avro", extra=extra, t=t, w=w)
            text = text.replace("'format' = 'debezium-json'", "'format' = 'debezium-avro-confluent'")
            run_bounded(eddy, b.bootstrap, write_file(wd, t + ".sql", text), cwd=wd, state=os.path.join(wd, t + ".db"),
                        registry=b.registry)
        got = {int(i): (nm, c, float(x)) for i, nm, c, x in pg.rows("SELECT id, name, country, balance FROM avro_copy")}
        exp = {k: (v["name"], v["country"], v["balance"]) for k, v in final.items()}
        check(got == exp, "avro_copy: %d rows, expected %d; differing: %s" % (len(got), len(exp), sorted(set(got.items()) ^ set(exp.items()))[:6]))
        per = {}
        for v in final.values():
            n, sm = per.get(v["country"], (0, 0.0))
            per[v["country"]] = (n + 1, sm + v["balance"])
        got = {c: (int(n), float(x)) for c, n, x in pg.rows("SELECT country, n, total FROM avro_agg")}
        check("lu" not in got and got == per, "avro_agg is %r, expected %r" % (got, per))
        # an update without its before image: the same hint as debezium-json
        prod.produce(topic="cdc_avro_bad", key={"id": 1}, value={"before": None, "after": {"id": 1, "name": "x", "country": "de",
                     "balance": 1.0}, "op": "u", "ts_ms": None, "transaction": None,
                     "source": {"version": "2", "connector": "postgresql", "snapshot": None, "lsn": None, "xmin": None}})
        prod.flush(30)
        del prod   # (before the broker goes: its client would complain)
        text = CDC_AGG.format(topic="cdc_avro_bad", extra="", t="bad", w=w).replace("debezium-json", "debezium-avro-confluent")
        r = run_bounded(eddy, b.bootstrap, write_file(wd, "bad.sql", text), cwd=wd, state="none", registry=b.registry, expect=1)
        check("topic 'cdc_avro_bad' partition 0 offset 0" in r.err and "REPLICA IDENTITY FULL" in r.err, "no hint:\n" + r.err)
        # without a registry: the option is named
        r = run_bounded(eddy, b.bootstrap, write_file(wd, "noreg.sql", text), cwd=wd, state="none", expect=1)
        check("needs 'debezium-avro-confluent.url'" in r.err, "no registry:\n" + r.err)


LOOKUP = """
CREATE TABLE orders_raw (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, proc AS PROCTIME())
  WITH ('scan.startup.mode' = 'earliest-offset');
CREATE TABLE users (id BIGINT PRIMARY KEY NOT ENFORCED, name STRING, tier INT, since DATE, score DECIMAL(8, 2))
  WITH ({w});
CREATE TABLE {t} (order_id BIGINT, user_id BIGINT, name STRING, tier INT, since DATE, score DECIMAL(8, 2)) WITH ('topic' = '{t}');
INSERT INTO {t}
SELECT o.order_id, o.user_id, u.name, u.tier, u.since, u.score
FROM orders_raw AS o {join} JOIN users FOR SYSTEM_TIME AS OF o.proc AS u ON o.user_id = u.id {cond};
"""


def t_lookup(eddy, wd):
    import datetime
    with PgServer() as pg, Broker(eddy, wd, {"orders_raw": 4, "live": 2}) as b:
        pg.exec("CREATE TABLE users (id bigint PRIMARY KEY, name text, tier int, since date, score numeric(8, 2));"
                "INSERT INTO users SELECT i, 'user' || i, i % 3, date '2020-01-01' + i, i * 1.25 FROM generate_series(1, 200) i")
        gen_orders(eddy, b.bootstrap, "orders_raw", 6000, seed=9, extra=("--users", "250"))
        os_ = orders(b.bootstrap)
        users = {i: ("user%d" % i, i % 3, (datetime.date(2020, 1, 1) + datetime.timedelta(days=i)).isoformat(), i * 1.25)
                 for i in range(1, 201)}
        for t, join, cond, w in (
                ("inner_nocache", "", "AND u.tier > 0", jdbc(pg)),
                ("left_cached", "LEFT", "", jdbc(pg, ", 'lookup.cache' = 'PARTIAL', 'lookup.partial-cache.max-rows' = '1000'")),
                ("left_small", "LEFT", "", jdbc(pg, ", 'lookup.cache' = 'PARTIAL', 'lookup.partial-cache.max-rows' = '20', "
                                                   "'lookup.partial-cache.cache-missing-key' = 'false', "
                                                   "'lookup.partial-cache.expire-after-write' = '50 ms'"))):
            r = run_bounded(eddy, b.bootstrap, write_file(wd, t + ".sql", LOOKUP.format(t=t, join=join, cond=cond, w=w)), cwd=wd,
                            state="none")
            if t == "left_small":   # the cache evicts: never more than max-rows keys (the least recently used go)
                held = re.search(r"state at stop: LookupJoin (\d+) keys", r.err)
                check(held and int(held.group(1)) <= 20, "left_small: the cache holds more than its 20 rows at the end:\n" + r.err)
            got = sorted((v["order_id"], v["user_id"], v["name"], v["tier"], v["since"], v["score"])
                         for v in (json.loads(m.value) for m in read_topic(b.bootstrap, t)))
            exp = []
            for o in os_:
                u = users.get(o["user_id"])
                if u and (join or u[1] > 0):
                    exp.append((o["order_id"], o["user_id"]) + u)
                elif join:
                    exp.append((o["order_id"], o["user_id"], None, None, None, None))
            exp.sort()
            check(got == exp, "%s: %d rows, expected %d; first differences %s"
                  % (t, len(got), len(exp), sorted(set(got) ^ set(exp))[:4]))
        # The cache holds: a user renamed in the database after its first look-up keeps its old name in the
        # cached job (no expiry) and gets the new one in the job without a cache.
        live = {"live_nocache": ("LEFT", jdbc(pg)),
                "live_cached": ("LEFT", jdbc(pg, ", 'lookup.cache' = 'PARTIAL', 'lookup.partial-cache.max-rows' = '1000'")),
                "live_access": ("LEFT", jdbc(pg, ", 'lookup.cache' = 'PARTIAL', "
                                                 "'lookup.partial-cache.expire-after-access' = '300 ms'"))}
        jobs = []
        try:
            for t, (join, w) in live.items():
                sql = LOOKUP.format(t=t, join=join, cond="", w=w).replace("WITH ('scan.startup.mode'", "WITH ('topic' = 'live', 'scan.startup.mode'")
                jobs.append(Job(eddy, b.bootstrap, write_file(wd, t + ".sql", sql), wd, name=t, state=os.path.join(wd, t + ".db")))
            gen_orders(eddy, b.bootstrap, "live", 1000, seed=21, extra=("--users", "50"))
            for t in live:
                wait_for("1000 rows in " + t, lambda: len(read_topic(b.bootstrap, t)) >= 1000, timeout=30)
            pg.exec("UPDATE users SET name = name || '-new'")
            time.sleep(1.0)   # longer than live_access's expire-after-access: its entries go
            gen_orders(eddy, b.bootstrap, "live", 1000, seed=22, extra=("--users", "50"))
            for t in live:
                wait_for("2000 rows in " + t, lambda: len(read_topic(b.bootstrap, t)) >= 2000, timeout=30)
            for j in jobs:
                rc, err = j.term()
                check(rc == 0, "%s exit %s:\n%s" % (j.name, rc, err[-2000:]))
        finally:
            for j in jobs:
                j.kill()
        new = {t: sum(1 for m in read_topic(b.bootstrap, t) if (json.loads(m.value)["name"] or "").endswith("-new")) for t in live}
        step("rows with the new names: %r" % new)
        check(new["live_nocache"] == 1000 and new["live_cached"] == 0 and new["live_access"] == 1000,
              "after the rename, %d of the second 1000 rows without a cache, %d with one and %d with one whose entries expire after "
              "access have the new names (expected 1000, 0 and 1000)" % (new["live_nocache"], new["live_cached"], new["live_access"]))
        # the table is checked against the DDL at start
        pg.exec("ALTER TABLE users ALTER COLUMN tier TYPE text")
        r = run_bounded(eddy, b.bootstrap, write_file(wd, "bad.sql", LOOKUP.format(t="bad", join="", cond="", w=jdbc(pg))), cwd=wd,
                        state="none", expect=1)
        check("column 'tier' of PostgreSQL table 'users' is text, but the DDL declares it INT" in r.err, "stderr:\n" + r.err)


EVERY_COLS = """id INT, b BOOLEAN, i INT, bi BIGINT, d DOUBLE, dc DECIMAL(12, 3), s STRING, v VARCHAR(20), bs BYTES, dt DATE,
  ts TIMESTAMP(3), tz TIMESTAMP_LTZ(3), j STRING, sm BIGINT"""

EVERY_PG = """CREATE TABLE everything (id int PRIMARY KEY, b boolean, i int, bi bigint, d double precision, dc numeric(12, 3), s text,
  v varchar(20), bs bytea, dt date, ts timestamp(3), tz timestamptz(3), j jsonb, sm int2);
INSERT INTO everything VALUES
  (1, true, -2147483648, 9007199254740993, 0.1, -123456789.125, E'tab\\there\\nnew line \\\\ back''slash "q" \u00e9\u4e2d', 'short',
   '\\x0001ff', '2024-02-29', '2024-01-02 03:04:05.678', '2024-01-02 03:04:05.678+00', '{"a": [1, "x"], "b": null}', -32768),
  (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (3, false, 7, -1, '-Infinity', 0.5, '', '\\N', '', '1969-12-31', '1970-01-01 00:00:00', '1969-12-31 23:59:59.999+00', '[]', 0);
INSERT INTO everything SELECT g, g %% 2 = 0, g, g::bigint * 1000000007, g / 7.0, g * 1.5, 's' || g, 'v' || g, int4send(g),
  date '2000-01-01' + g, timestamp '2020-01-01' + g * interval '1 minute 0.001 second',
  timestamptz '2020-01-01 00:00+00' + g * interval '1 second', jsonb_build_object('g', g), g %% 100
  FROM generate_series(10, %d) g;"""

# every column as text the same way for both tables (jsonb and int2 read back as STRING and BIGINT)
EVERY_TEXT = ("SELECT id, b, i, bi, d, dc, s, v, encode(bs, 'hex'), dt, ts, tz, j::jsonb::text, sm::bigint FROM %s")


def t_scan(eddy, wd):
    """A jdbc table in FROM read once: every type both ways (PostgreSQL →
    Kafka → PostgreSQL equals the original), the job ends by itself, a
    GROUP BY over the scan, a resumed run reads nothing again, a table that
    disagrees with the DDL, and the fetch size streaming it."""
    with PgServer() as pg, Broker(eddy, wd, {"everything": 2}) as b:
        pg.exec("SET TIME ZONE 'UTC';" + EVERY_PG % 3000)
        n = int(pg.rows("SELECT count(*) FROM everything")[0][0])
        src = "CREATE TABLE everything (%s, PRIMARY KEY (id) NOT ENFORCED) WITH (%s);\n" % (
            EVERY_COLS, jdbc(pg, ", 'scan.fetch-size' = '100'"))
        out = write_file(wd, "out.sql", CKPT + src + "CREATE TABLE every_topic (%s) WITH ('topic' = 'everything');\n"
                         "INSERT INTO every_topic SELECT * FROM everything;\n" % EVERY_COLS)
        state = os.path.join(wd, "out.db")
        r = run([eddy, "run", "--bootstrap", b.bootstrap, "--state", state, out], cwd=wd, timeout=60)
        check("job 'every_topic' finished: %d records in" % n in r.err, "the scan did not finish by itself with %d rows:\n%s" % (n, r.err))
        msgs = read_topic(b.bootstrap, "everything")
        check(len(msgs) == n, "the topic holds %d records, the table %d rows" % (len(msgs), n))
        # back into PostgreSQL through the jdbc sink: the same table
        back = write_file(wd, "back.sql", CKPT + "CREATE TABLE every_topic (%s) WITH ('topic' = 'everything', "
                          "'scan.startup.mode' = 'earliest-offset');\nCREATE TABLE every_back (%s, PRIMARY KEY (id) NOT ENFORCED) "
                          "WITH (%s);\nINSERT INTO every_back SELECT * FROM every_topic;\n"
                          % (EVERY_COLS, EVERY_COLS, jdbc(pg, ", 'sink.create-table' = 'true'")))
        run_bounded(eddy, b.bootstrap, back, cwd=wd, state=os.path.join(wd, "back.db"))
        a = pg.rows("SET TIME ZONE 'UTC';" + EVERY_TEXT % "everything" + " ORDER BY id")
        z = pg.rows("SET TIME ZONE 'UTC';" + EVERY_TEXT % "every_back" + " ORDER BY id")
        check(len(a) == n and a == z, "PostgreSQL → Kafka → PostgreSQL changed rows: %d and %d rows, first differences %r"
              % (len(a), len(z), [(x, y) for x, y in zip(a, z) if x != y][:3]))
        check(a[0][6] == "tab\there\nnew line \\ back'slash \"q\" \u00e9\u4e2d" and a[0][12] == '{"a": [1, "x"], "b": null}',
              "row 1 reads %r" % (a[0],))
        # the same run again resumes after the rows it read: nothing more
        r = run([eddy, "run", "--bootstrap", b.bootstrap, "--state", state, out], cwd=wd, timeout=60)
        check("resumes from" in r.err and "finished: 0 records in" in r.err, "the second run read again:\n" + r.err)
        check(len(read_topic(b.bootstrap, "everything")) == n, "the second run wrote again")
        # a GROUP BY over the scan into PostgreSQL (the scan's projection: two columns fetched)
        agg = write_file(wd, "agg.sql", CKPT + src + "CREATE TABLE per_b (b BOOLEAN, n BIGINT, total DECIMAL(18, 3), PRIMARY KEY (b) "
                         "NOT ENFORCED) WITH (%s);\nINSERT INTO per_b SELECT b, COUNT(*), SUM(dc) FROM everything WHERE b IS NOT NULL "
                         "GROUP BY b;\n" % jdbc(pg, ", 'sink.create-table' = 'true'"))
        r = run([eddy, "run", "--state", os.path.join(wd, "agg.db"), agg], cwd=wd, timeout=60)
        check("finished" in r.err, "the GROUP BY job (no Kafka at all) did not finish:\n" + r.err)
        got = pg.rows("SELECT b, n, total FROM per_b ORDER BY b")
        exp = pg.rows("SELECT b, count(*), sum(dc) FROM everything WHERE b IS NOT NULL GROUP BY b ORDER BY b")
        check(got == exp, "per_b is %r, expected %r" % (got, exp))
        # a table without a PRIMARY KEY, with a state file: read in the order of every column (a position means the same rows)
        pg.exec("CREATE TABLE nokey AS SELECT s, j, bs, d FROM everything")
        nk = write_file(wd, "nokey.sql", CKPT + "CREATE TABLE nokey (s STRING, j STRING, bs BYTES, d DOUBLE) WITH (%s);\n"
                        "CREATE TABLE nokey_topic (s STRING, j STRING, bs BYTES, d DOUBLE) WITH ('topic' = 'nokey');\n"
                        "INSERT INTO nokey_topic SELECT * FROM nokey;\n" % jdbc(pg, ", 'scan.fetch-size' = '700'"))
        r = run([eddy, "run", "--bootstrap", b.bootstrap, "--state", os.path.join(wd, "nokey.db"), nk], cwd=wd, timeout=60)
        check("finished: %d records in" % n in r.err and len(read_topic(b.bootstrap, "nokey")) == n, "nokey:\n" + r.err)
        # the shell: a SELECT over the table shows its rows and ends
        r = run([eddy], cwd=wd, timeout=60, input="CREATE TABLE everything (%s) WITH (%s);\n"
                "SELECT id, s FROM everything WHERE id < 4;\nSELECT COUNT(*) FROM everything;\n" % (EVERY_COLS, jdbc(pg)))
        check("+I[1, tab" in r.out and "+I[2, NULL]" in r.out and "+I[3, ]" in r.out and "+I[%d]" % n in r.out,
              "the shell's SELECT over the table:\n" + r.out + r.err)
        # EXPLAIN shows the scan
        r = run([eddy, "explain", agg], cwd=wd)
        check("connector=[jdbc], table-name=[everything], bounded=[table scan], fetch-size=[100]" in r.out, "EXPLAIN:\n" + r.out)
        # a scan joined with an unbounded Kafka source: the job goes on after the table is read
        gen_orders(eddy, b.bootstrap, "orders_raw", 1500, seed=3, extra=("--users", "300"))
        mix = write_file(wd, "mix.sql", CKPT + ORDERS_SRC + src + "CREATE TABLE enriched (order_id BIGINT, s STRING) "
                         "WITH ('topic' = 'enriched');\nINSERT INTO enriched SELECT o.order_id, e.s FROM orders_raw AS o "
                         "JOIN everything AS e ON o.user_id = e.id;\n")
        job = Job(eddy, b.bootstrap, mix, wd, state=os.path.join(wd, "mix.db"))
        try:
            names = {int(i): x for i, x in pg.rows("SELECT id, s FROM everything")}
            exp = sorted((o["order_id"], names[o["user_id"]]) for o in orders(b.bootstrap) if o["user_id"] in names)
            wait_for("%d enriched orders" % len(exp), lambda: len(read_topic(b.bootstrap, "enriched")) >= len(exp), timeout=30, job=job)
            time.sleep(0.5)
            check(job.alive(), "the job ended with its table scan: it also reads an unbounded topic")
            rc, err = job.term()
            check(rc == 0, "mix: exit %s\n%s" % (rc, err[-2000:]))
        finally:
            job.kill()
        got = sorted((v["order_id"], v["s"]) for v in (json.loads(m.value) for m in read_topic(b.bootstrap, "enriched")))
        check(got == exp, "enriched: %d rows, expected %d" % (len(got), len(exp)))
        # a table that disagrees with the DDL: the column is named
        pg.exec("ALTER TABLE everything ALTER COLUMN dt TYPE text")
        r = run([eddy, "run", "--state", "none", agg], cwd=wd, timeout=60, expect=1)
        check("column 'dt' of PostgreSQL table 'everything' is text, but the DDL declares it DATE" in r.err, "mismatch:\n" + r.err)
        pg.exec("DROP TABLE everything")
        r = run([eddy, "run", "--state", "none", agg], cwd=wd, timeout=60, expect=1)
        check("PostgreSQL table 'everything' does not exist" in r.err, "missing table:\n" + r.err)


BIG_COPY = CKPT + """
CREATE TABLE big (id BIGINT, g INT, s STRING, PRIMARY KEY (id) NOT ENFORCED) WITH ({src});
CREATE TABLE big_copy (id BIGINT, g INT, s STRING) WITH ({dst});
INSERT INTO big_copy SELECT id, g, s FROM big;
"""


def _big(pg, n):
    pg.exec("CREATE TABLE big (id bigint PRIMARY KEY, g int, s text);"
            "INSERT INTO big SELECT i, i %% 97, md5(i::text) FROM generate_series(1, %d) i" % n)


def _check_copy(pg, n, what):
    got = pg.rows("SELECT count(*), count(DISTINCT id), coalesce(sum(id), 0) FROM big_copy")[0]
    check(got == (str(n), str(n), str(n * (n + 1) // 2)), "%s: big_copy has %s rows, %s distinct, id sum %s; expected %d rows"
          % (what, got[0], got[1], got[2], n))
    bad = pg.rows("SELECT count(*) FROM big_copy c JOIN big b USING (id) WHERE c.g <> b.g OR c.s <> b.s")[0][0]
    check(bad == "0", "%s: %s rows differ from the table" % (what, bad))


def t_scan_resume(eddy, wd):
    """A scan into an append table, exactly once: the process ends right
    after PostgreSQL committed checkpoint 2 and before the state file did;
    the restart catches the scan up to the marker's position without
    writing, then goes on: every row once.  Then a kill -9 mid-scan and a
    restart: every row once again."""
    n = 500000   # (a scan of 200k rows could end before checkpoint 3 on a quiet machine)
    with PgServer() as pg, Broker(eddy, wd, {}) as b:
        _big(pg, n)
        text = BIG_COPY.format(src=jdbc(pg, ", 'scan.fetch-size' = '500'"), dst=jdbc(pg, ", 'sink.create-table' = 'true'"))
        sql = write_file(wd, "copy.sql", text)
        state = os.path.join(wd, "copy.db")
        env = {"EDDY_TEST_EXIT_AFTER_SINK_COMMIT": "2"}
        r = run([eddy, "run", "--state", state, sql], cwd=wd, env=env, timeout=90, expect=None)
        check(r.rc == 137, "the job was to end after the sink's commit of checkpoint 2 (exit 137), it ended with %s:\n%s"
              % (r.rc, r.err[-2000:]))
        marker = pg.rows("SELECT checkpoint, offsets FROM eddy_checkpoints")
        step("marker %r" % (marker,))
        check(int(marker[0][0]) == 2 and "jdbc:big" in marker[0][1], "marker %r" % (marker,))
        written = int(pg.rows("SELECT count(*) FROM big_copy")[0][0])
        check(0 < written < n, "the scan was to be cut in the middle: %d of %d rows written" % (written, n))
        r = run([eddy, "run", "--state", state, sql], cwd=wd, timeout=90)
        check("PostgreSQL holds checkpoint 2, the state file 1" in r.err and "finished" in r.err, "restart:\n" + r.err[-2000:])
        _check_copy(pg, n, "after catching up")
        # kill -9 in the middle of a scan, then a restart
        pg.exec("DROP TABLE big_copy; DELETE FROM eddy_checkpoints")
        os.unlink(state)
        job = Job(eddy, b.bootstrap, sql, wd, state=state)
        try:
            wait_for("rows in big_copy", lambda: _table_exists(pg, "big_copy") and
                     int(pg.rows("SELECT count(*) FROM big_copy")[0][0]) > 0, timeout=40, job=job)
            job.kill()
        finally:
            job.kill()
        written = int(pg.rows("SELECT count(*) FROM big_copy")[0][0])
        step("killed with %d rows committed" % written)
        r = run([eddy, "run", "--state", state, sql], cwd=wd, timeout=90)
        check("resumes from" in r.err, "no resume:\n" + r.err[-2000:])
        _check_copy(pg, n, "after kill -9 at %d rows" % written)


def t_scan_restart(eddy, wd):
    """PostgreSQL restarted in the middle of a scan: the scan reconnects
    and goes on after the rows it had read (in key order): the topic gets
    every row once."""
    n = 60000
    with PgServer() as pg, Broker(eddy, wd, {"big_copy": 2}) as b:
        _big(pg, n)
        text = BIG_COPY.format(src=jdbc(pg, ", 'scan.fetch-size' = '20'"), dst="'topic' = 'big_copy'")
        sql = write_file(wd, "copy.sql", text)
        job = Job(eddy, b.bootstrap, sql, wd, state=os.path.join(wd, "copy.db"))
        try:
            wait_for("the scan's cursor", lambda: int(pg.rows("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'FETCH%'")[0][0]) > 0,
                     timeout=40, job=job)
            pg.restart(down_seconds=1.0)
            rc = job.wait(60)
            err = job.stderr()
            check(rc == 0, "the job ended with %s:\n%s" % (rc, err[-2000:]))
            check_sanitizer(job.name, err)
            check("reconnecting in" in err and "finished: %d records in" % n in err, "no reconnect, or not every row:\n" + err[-2000:])
        finally:
            job.kill()
        ids = [json.loads(m.value)["id"] for m in read_topic(b.bootstrap, "big_copy")]
        check(len(ids) == n and len(set(ids)) == n, "the topic holds %d records, %d distinct ids; expected %d" % (len(ids), len(set(ids)), n))


def t_demo(eddy, wd):
    """`eddy demo --postgres URL`: the reference job's results reach the
    PostgreSQL table orders_summary while the demo runs (the table fills,
    then changes), and when it stops the table counts every order the job
    read."""
    import subprocess
    with PgServer() as pg:
        url = "postgresql://127.0.0.1:%d/eddy?user=postgres" % pg.port
        err_path = os.path.join(wd, "demo.err")
        with open(err_path, "wb") as ef:
            p = subprocess.Popen([eddy, "demo", "--postgres", url, "--http", "none", "--rate", "400"], cwd=wd,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=ef)
            try:
                first = wait_for("regions in orders_summary",
                                 lambda: _table_exists(pg, "orders_summary") and _total(pg) > 0 and _total(pg), timeout=60)
                wait_for("orders_summary to change", lambda: _total(pg) > first, timeout=60)
                p.send_signal(signal.SIGINT)   # Ctrl-C, as a user stops the demo
                out, _ = p.communicate(timeout=60)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        out = out.decode(errors="replace")
        err = read_text(err_path)
        check_sanitizer("eddy demo", err)
        check(p.returncode == 0, "eddy demo exited with %s:\n%s\n%s" % (p.returncode, out[-1500:], err[-1500:]))
        check("orders_summary also in PostgreSQL: psql '%s'" % url in out, "no psql hint:\n" + out[:800])
        m = re.search(r"the job read (\d+) records", out)
        check(m, "no summary line:\n" + out[-800:])
        rows = pg.rows("SELECT region, total_orders, total_sales, avg_order_value FROM orders_summary ORDER BY region")
        step("orders_summary in PostgreSQL: %d regions, %d orders (the job read %s)" % (len(rows), _total(pg), m.group(1)))
        check(len(rows) >= 2 and _total(pg) == int(m.group(1)),
              "orders_summary counts %d orders in %d regions, the job read %s" % (_total(pg), len(rows), m.group(1)))
        for r, n, total, avg in rows:
            check(abs(float(total) / int(n) - float(avg)) <= 0.006, "region %s: avg_order_value %s, total %s / %s orders" % (r, avg, total, n))


main({"demo": t_demo, "debezium_avro": t_debezium_avro, "scan": t_scan, "scan_resume": t_scan_resume, "scan_restart": t_scan_restart, "lookup": t_lookup, "debezium": t_debezium, "upsert": t_upsert, "append": t_append, "deletes": t_deletes, "types": t_types, "nested": t_nested, "mismatch": t_mismatch,
      "restart": t_restart, "down": t_down, "ahead": t_ahead, "kill_append": t_kill_append, "kill_upsert": t_kill_upsert})
