"""e2e/union_bounded — one job reading a bounded topic and an unbounded one:
UNION ALL of orders_old ('scan.bounded.mode' = 'latest-offset') and
orders_new (unbounded) into an append topic.

The consumer keeps reading every assigned partition while the unbounded
topic runs, so the driver itself must stop handing the bounded source
records past the ends it had at start: records produced to orders_old after
the job started never reach the sink, those of orders_new do.
"""
import json
import time

from eddyharness import Broker, Job, Rec, check, main, produce, read_topic, step, wait_for, write_file

SQL = """
CREATE TABLE orders_old (order_id BIGINT, region STRING)
  WITH ('scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset');
CREATE TABLE orders_new (order_id BIGINT, region STRING)
  WITH ('scan.startup.mode' = 'earliest-offset');
CREATE TABLE all_orders (order_id BIGINT, region STRING);

INSERT INTO all_orders
SELECT order_id, region FROM orders_old
UNION ALL
SELECT order_id, region FROM orders_new;
"""


def ids(bs):
    return sorted(json.loads(m.value)["order_id"] for m in read_topic(bs, "all_orders"))


def test(eddy, workdir):
    sql = write_file(workdir, "union_bounded.sql", SQL)
    with Broker(eddy, workdir, {"orders_old": 1, "orders_new": 1, "all_orders": 1}) as b:
        bs = b.bootstrap
        produce(bs, "orders_old", [Rec(value={"order_id": i, "region": "eu"}) for i in (1, 2, 3)])
        produce(bs, "orders_new", [Rec(value={"order_id": i, "region": "us"}) for i in (101, 102)])
        job = Job(eddy, bs, sql, workdir, "union_bounded")
        try:
            wait_for("the five records at start in all_orders", lambda: ids(bs) == [1, 2, 3, 101, 102], job=job)
            # After the start: the bounded topic first, then the unbounded one.
            produce(bs, "orders_old", [Rec(value={"order_id": i, "region": "eu"}) for i in (4, 5)])
            produce(bs, "orders_new", [Rec(value={"order_id": 103, "region": "us"})])
            wait_for("order 103 in all_orders", lambda: 103 in ids(bs), job=job)
            time.sleep(1.5)   # time enough to have read orders_old's new records too
            job.term()
        finally:
            job.kill()
        got = ids(bs)
        step("all_orders holds %s" % got)
        check(got == [1, 2, 3, 101, 102, 103],
              "the bounded source read records produced after the job started: %s" % got)


main(test)
