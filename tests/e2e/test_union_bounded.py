"""e2e/union_bounded — one job reading a bounded topic and an unbounded one:
UNION ALL of orders_old ('scan.bounded.mode' = 'latest-offset') and
orders_new (unbounded) into an append topic.

The consumer keeps reading every assigned partition while the unbounded
topic runs, so the driver itself must stop handing the bounded source
records past the ends it had at start: records produced to orders_old after
the job started never reach the sink, those of orders_new do.  Then two
tables on one topic, one bounded and one not: a record produced after the
start reaches the sink once, through the unbounded table only.  Last, two
tables on one topic with different 'scan.startup.mode': each reads from its
own start (the first table's mode used to decide for both).
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

SQL_ONE_TOPIC = """
CREATE TABLE events_then (id BIGINT) WITH ('topic' = 'events', 'scan.startup.mode' = 'earliest-offset',
                                          'scan.bounded.mode' = 'latest-offset');
CREATE TABLE events_live (id BIGINT) WITH ('topic' = 'events', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE tagged (id BIGINT, src STRING);

INSERT INTO tagged
SELECT id, 'then' FROM events_then
UNION ALL
SELECT id, 'live' FROM events_live;
"""

SQL_TWO_STARTS = """
CREATE TABLE clicks_new (id BIGINT) WITH ('topic' = 'clicks', 'scan.startup.mode' = 'latest-offset');
CREATE TABLE clicks_all (id BIGINT) WITH ('topic' = 'clicks', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE clicks_tagged (id BIGINT, src STRING);

INSERT INTO clicks_tagged
SELECT id, 'new' FROM clicks_new
UNION ALL
SELECT id, 'all' FROM clicks_all;
"""


def ids(bs, topic="all_orders"):
    return sorted(json.loads(m.value)["order_id"] for m in read_topic(bs, topic))


def tagged(bs, topic="tagged"):
    return sorted((json.loads(m.value)["id"], json.loads(m.value)["src"]) for m in read_topic(bs, topic))


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

    sql = write_file(workdir, "one_topic.sql", SQL_ONE_TOPIC)
    with Broker(eddy, workdir, {"events": 1, "tagged": 1}) as b:
        bs = b.bootstrap
        produce(bs, "events", [Rec(value={"id": 1})])
        job = Job(eddy, bs, sql, workdir, "one_topic")
        try:
            wait_for("record 1 through both tables", lambda: tagged(bs) == [(1, "live"), (1, "then")], job=job)
            produce(bs, "events", [Rec(value={"id": 2})])
            wait_for("record 2 through events_live", lambda: (2, "live") in tagged(bs), job=job)
            time.sleep(1)
            job.term()
        finally:
            job.kill()
        got = tagged(bs)
        step("tagged holds %s" % got)
        check(got == [(1, "live"), (1, "then"), (2, "live")],
              "a bounded table sharing its topic with an unbounded one read past its end: %s" % got)

    sql = write_file(workdir, "two_starts.sql", SQL_TWO_STARTS)
    with Broker(eddy, workdir, {"clicks": 2, "clicks_tagged": 1}) as b:
        bs = b.bootstrap
        produce(bs, "clicks", [Rec(value={"id": i}, partition=i % 2) for i in (1, 2)])
        job = Job(eddy, bs, sql, workdir, "two_starts")
        try:
            wait_for("the records at start through clicks_all", lambda: tagged(bs, "clicks_tagged") == [(1, "all"), (2, "all")], job=job)
            time.sleep(1)   # the job has assigned its partitions: what follows is new
            produce(bs, "clicks", [Rec(value={"id": i}, partition=i % 2) for i in (3, 4)])
            wait_for("the new records through both tables", lambda: len(tagged(bs, "clicks_tagged")) >= 6, job=job)
            time.sleep(1)
            job.term()
        finally:
            job.kill()
        got = tagged(bs, "clicks_tagged")
        step("clicks_tagged holds %s" % got)
        check(got == [(1, "all"), (2, "all"), (3, "all"), (3, "new"), (4, "all"), (4, "new")],
              "tables of one topic with different startup modes: %s" % got)


main(test)
