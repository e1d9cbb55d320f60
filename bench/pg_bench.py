#!/usr/bin/python3
"""bench/pg_bench.py EDDY [N] — the jdbc sink's figures, side by side in one run.

One `eddy broker` (orders_raw, 16 partitions) with N reference orders
(`eddy gen orders`, user_id uniform in 1..100000) and one PostgreSQL
(tests/pg/pgfixture.py: a throw-away cluster, fsync on), then, in REPEAT
interleaved rounds (default 3), `eddy run --bounded` of:

  ref→kafka      the reference job (GROUP BY region) into an upsert topic
  ref→pg         the same into a jdbc upsert table
  user→kafka     GROUP BY user_id (~100k keys) into an upsert topic
  user→pg        the same into a jdbc upsert table (exactly-once)
  user→pg alo    the same, 'sink.delivery-guarantee' = 'at-least-once'
  copy→pg        SELECT * into a jdbc append table (exactly-once): N rows
  copy→pg alo    the same, at-least-once
  lookup cold    the orders enriched from a PostgreSQL table of 100k users by
                 a lookup join without a cache (every batch's keys fetched)
  lookup warm    the same with 'lookup.cache' = 'PARTIAL' (a second run in
                 the same process would be warmer still: this is one run, so
                 each user is fetched once, then served from the cache)
  scan→kafka     a PostgreSQL table of N orders (PRIMARY KEY order_id) read
                 once by the jdbc scan (a cursor, 'scan.fetch-size' 10000)
                 into a topic: the job ends by itself
  scan→pg        the same table scanned into another jdbc table (append,
                 exactly-once)
  psql COPY TO   the limit: psql reading the same table with COPY … TO STDOUT

each with a fresh state file (and a truncated table), 1 s checkpoints.
Prints the median wall time per phase and events/s; ratios are what to
compare (the machine is shared).  EDDY must be a Release build.
"""
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "tests", "lib"), os.path.join(HERE, "..", "tests", "pg")]
from eddyharness import Broker, gen_orders, run, write_file  # noqa: E402
from pgfixture import PgServer  # noqa: E402

eddy = os.path.abspath(sys.argv[1])
N = int(sys.argv[2]) if len(sys.argv) > 2 else 300000
REPEAT = int(os.environ.get("REPEAT", "3"))

SRC = """SET 'execution.checkpointing.interval' = '1 s';
CREATE TABLE orders_raw (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING)
  WITH ('scan.startup.mode' = 'earliest-offset');
"""
REF = SRC + """CREATE TABLE {t} (region STRING PRIMARY KEY NOT ENFORCED, total_orders BIGINT, total_sales DOUBLE,
  avg_order_value DOUBLE) WITH ({w});
INSERT INTO {t} SELECT region, COUNT(*), SUM(amount), ROUND(AVG(amount), 2) FROM orders_raw GROUP BY region;
"""
USER = SRC + """CREATE TABLE {t} (user_id BIGINT PRIMARY KEY NOT ENFORCED, n BIGINT, total DOUBLE) WITH ({w});
INSERT INTO {t} SELECT user_id, COUNT(*), SUM(amount) FROM orders_raw GROUP BY user_id;
"""
COPY = SRC + """CREATE TABLE {t} (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING) WITH ({w});
INSERT INTO {t} SELECT * FROM orders_raw;
"""

SCAN = """SET 'execution.checkpointing.interval' = '1 s';
CREATE TABLE scan_src (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, PRIMARY KEY (order_id) NOT ENFORCED)
  WITH ({r});
CREATE TABLE {t} (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING) WITH ({w});
INSERT INTO {t} SELECT * FROM scan_src;
"""

LOOKUP = """SET 'execution.checkpointing.interval' = '1 s';
CREATE TABLE orders_raw (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, proc AS PROCTIME())
  WITH ('scan.startup.mode' = 'earliest-offset');
CREATE TABLE users (id BIGINT PRIMARY KEY NOT ENFORCED, name STRING, tier INT) WITH ({w});
CREATE TABLE {t} (order_id BIGINT, name STRING, tier INT) WITH ('topic' = '{t}');
INSERT INTO {t} SELECT o.order_id, u.name, u.tier FROM orders_raw AS o
JOIN users FOR SYSTEM_TIME AS OF o.proc AS u ON o.user_id = u.id;
"""

wd = tempfile.mkdtemp(prefix="eddy-pgbench.")
with PgServer(fsync=True) as pg, Broker(eddy, wd, {"orders_raw": 16}) as b:
    gen_orders(eddy, b.bootstrap, "orders_raw", N, seed=1, extra=("--users", "100000"))
    pg.exec("CREATE TABLE users (id bigint PRIMARY KEY, name text, tier int); "
            "INSERT INTO users SELECT i, 'user' || i, i % 3 FROM generate_series(1, 100000) i")
    pg.exec("CREATE TABLE scan_src (order_id bigint PRIMARY KEY, user_id bigint, amount double precision, region text); "
            "INSERT INTO scan_src SELECT i, (i * 7919) %% 100000 + 1, (i %% 40000) / 100.0, 'region-' || (i %% 8) "
            "FROM generate_series(1, %d) i" % N)
    pg.exec("VACUUM ANALYZE scan_src")
    pgw = "'connector' = 'jdbc', 'url' = '%s', 'sink.create-table' = 'true'" % pg.url
    pgl = "'connector' = 'jdbc', 'url' = '%s'" % pg.url
    phases = [
        ("ref→kafka", REF, "ref_k", "'topic' = 'ref_k'"),
        ("ref→pg", REF, "ref_p", pgw),
        ("user→kafka", USER, "user_k", "'topic' = 'user_k'"),
        ("user→pg", USER, "user_p", pgw),
        ("user→pg alo", USER, "user_pa", pgw + ", 'sink.delivery-guarantee' = 'at-least-once'"),
        ("copy→pg", COPY, "copy_p", pgw),
        ("copy→pg alo", COPY, "copy_pa", pgw + ", 'sink.delivery-guarantee' = 'at-least-once'"),
        ("lookup cold", LOOKUP, "lk_cold", pgl),
        ("lookup warm", LOOKUP, "lk_warm", pgl + ", 'lookup.cache' = 'PARTIAL'"),
        ("scan→kafka", SCAN, "scan_k", "'topic' = 'scan_k'"),
        ("scan→pg", SCAN, "scan_p", pgw),
        ("psql COPY TO", None, None, None),
    ]
    times = {p[0]: [] for p in phases}
    for r in range(REPEAT):
        for name, tmpl, table, w in phases:
            if tmpl is None:   # the limit: the server's own fastest read of the table, through psql
                t0 = time.monotonic()
                pg.psql("COPY scan_src TO STDOUT")
                times[name].append(time.monotonic() - t0)
                continue
            sql = write_file(wd, table + ".sql", tmpl.format(t=table, w=w, r=pgl))
            state = os.path.join(wd, table + ".db")
            if os.path.exists(state):
                os.unlink(state)
            if "pg" in name:
                pg.exec("DROP TABLE IF EXISTS %s" % table)
            t0 = time.monotonic()
            run([eddy, "run", "--bounded", "--state", state, "--bootstrap", b.bootstrap, sql], cwd=wd, timeout=600)
            times[name].append(time.monotonic() - t0)
    print("\n%d orders, median of %d rounds (wall time of `eddy run --bounded`)\n" % (N, REPEAT))
    print("| phase | wall s | events/s | runs |")
    print("| --- | ---: | ---: | --- |")
    for name, *_ in phases:
        m = statistics.median(times[name])
        print("| %s | %.2f | %.0f | %s |" % (name, m, N / m, " ".join("%.2f" % t for t in times[name])))
    print("\nrows in copy_p: %s, user_p: %s" % (pg.rows("SELECT count(*) FROM copy_p")[0][0], pg.rows("SELECT count(*) FROM user_p")[0][0]))
