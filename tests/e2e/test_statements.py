"""e2e/statements — the statements of the Flink SQL breadth issue over Kafka,
in one `eddy run --bounded` of a script:

  * INSERT INTO … VALUES: a bounded job that writes its rows to a topic;
  * a view (over orders) and a CTE in the queries of
  * a statement set (EXECUTE STATEMENT SET BEGIN … END): two INSERTs, one
    job that reads the orders topic once (its stop line counts each record
    once, not once per INSERT) and writes two topics;
  * CREATE TABLE … AS SELECT: the sink takes the query's schema and, as the
    query updates, its key (an upsert topic keyed by region).

Then the shell: `SELECT 1;` prints one row, and BEGIN STATEMENT SET; … END;
typed statement by statement runs its INSERTs as one job.
The expected topics are computed here from the produced orders.
"""
import json
import re

from eddyharness import (Broker, Rec, check, check_table, fold_upsert, main, produce, read_topic, run, run_bounded, step, ukey,
                         wait_for, write_file)

ORDERS = [
    {"order_id": 1, "region": "eu", "amount": 10.0},
    {"order_id": 2, "region": "us", "amount": 75.0},
    {"order_id": 3, "region": "eu", "amount": 60.0},
    {"order_id": 4, "region": "ap", "amount": 5.0},
    {"order_id": 5, "region": "eu", "amount": 99.5},
]

SQL = """
CREATE TABLE orders (order_id BIGINT, region STRING, amount DOUBLE)
  WITH ('scan.startup.mode' = 'earliest-offset');
CREATE TABLE labels (id INT, label STRING);
CREATE TABLE big_orders (order_id BIGINT, amount DOUBLE);
CREATE TABLE eu_orders (order_id BIGINT, amount DOUBLE);

CREATE VIEW eu AS SELECT order_id, amount FROM orders WHERE region = 'eu';

INSERT INTO labels VALUES (1, 'one'), (2, 'two'), (3, CAST(NULL AS STRING));

EXECUTE STATEMENT SET BEGIN
  INSERT INTO big_orders
  WITH big AS (SELECT order_id, amount FROM orders WHERE amount >= 50)
  SELECT * FROM big;
  INSERT INTO eu_orders SELECT * FROM eu;
END;

CREATE TABLE region_totals AS
SELECT region, COUNT(*) AS n, SUM(amount) AS total FROM orders GROUP BY region;
"""

SHELL = """
SELECT 1;
CREATE TABLE orders (order_id BIGINT, region STRING, amount DOUBLE)
  WITH ('scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset');
CREATE TABLE us_ids (order_id BIGINT);
CREATE TABLE ap_ids (order_id BIGINT);
BEGIN STATEMENT SET;
INSERT INTO us_ids SELECT order_id FROM orders WHERE region = 'us';
INSERT INTO ap_ids SELECT order_id FROM orders WHERE region = 'ap';
END;
SHOW JOBS;
"""


def values(bs, topic):
    return [json.loads(m.value) for m in read_topic(bs, topic)]


def test(eddy, workdir):
    sql = write_file(workdir, "statements.sql", SQL)
    topics = {"orders": 2, "labels": 1, "big_orders": 1, "eu_orders": 1, "region_totals": 1, "us_ids": 1, "ap_ids": 1}
    with Broker(eddy, workdir, topics) as b:
        bs = b.bootstrap
        produce(bs, "orders", [Rec(key={"order_id": o["order_id"]}, value=o) for o in ORDERS])
        r = run_bounded(eddy, bs, sql, cwd=workdir)

        step("INSERT … VALUES wrote its three rows")
        got = sorted(values(bs, "labels"), key=lambda v: v["id"])
        check(got == [{"id": 1, "label": "one"}, {"id": 2, "label": "two"}, {"id": 3, "label": None}], "labels: %r" % got)

        step("the statement set: one job, orders read once, two topics written")
        started = re.findall(r"started job '([^']*)'", r.err)
        check(started.count("statement_set") == 1, "one statement_set job expected: %r\n%s" % (started, r.err))
        check(not any(s in ("big_orders", "eu_orders") for s in started), "no job per INSERT expected: %r" % started)
        m = re.search(r"job 'statement_set' (?:stopped|finished): (\d+) records in", r.err)
        check(m is not None and int(m.group(1)) == len(ORDERS),
              "the set's job should count each order once (one shared source): %s" % (m.group(0) if m else r.err))
        big = sorted((v["order_id"], v["amount"]) for v in values(bs, "big_orders"))
        check(big == sorted((o["order_id"], o["amount"]) for o in ORDERS if o["amount"] >= 50), "big_orders: %r" % big)
        eu = sorted((v["order_id"], v["amount"]) for v in values(bs, "eu_orders"))
        check(eu == sorted((o["order_id"], o["amount"]) for o in ORDERS if o["region"] == "eu"), "eu_orders: %r" % eu)

        step("CREATE TABLE … AS: an upsert topic keyed by region")
        per = {}
        for o in ORDERS:
            p = per.setdefault(o["region"], [0, 0.0])
            p[0] += 1
            p[1] += o["amount"]
        expected = {ukey(region=k): {"region": k, "n": v[0], "total": v[1]} for k, v in per.items()}
        check_table("region_totals", fold_upsert(read_topic(bs, "region_totals")), expected)

        step("the shell: SELECT 1; and BEGIN STATEMENT SET; … END;")
        sh = run([eddy, "--bootstrap", bs], cwd=workdir, input=SHELL, timeout=60)
        check(sh.out.splitlines()[:1] == ["+I[1]"], "SELECT 1; should print one row first:\n%s" % sh.out)
        wait_for("the set's two topics", lambda: sorted(v["order_id"] for v in values(bs, "us_ids")) == [2]
                 and sorted(v["order_id"] for v in values(bs, "ap_ids")) == [4])


if __name__ == "__main__":
    main(test)
