"""e2e/semi_join — IN (SELECT …) and NOT EXISTS over Kafka: one job (a
statement set) keeps the orders of gold customers (a semi join) and the
orders whose customer does not exist (an anti join), each in an upsert
table keyed by the order, with a kill -9 in the middle.

Orders (keyed by order_id, 3 partitions) name a customer; customers (keyed
by customer_id, 2 partitions) are created, change tier and are deleted
while orders come, move to another customer and are deleted.  Across
topics Kafka gives no order, so what is checked is what every order of
arrival must end in, computed here in Python from the final orders and
customers: gold_orders holds each live order whose customer exists with
tier 'gold', lonely_orders each live order whose customer does not exist.
The job is killed with SIGKILL once a checkpoint holds its join state (the
records after it are read again), restarted on more changes of both topics,
then stopped cleanly.
"""
import os

from eddyharness import Broker, Job, Rec, check_table, fold_upsert, main, produce, read_topic, step, tables_match, ukey, wait_for, write_file
from eddytest import checkpointed

SQL = """
CREATE TABLE orders (
  order_id    BIGINT PRIMARY KEY NOT ENFORCED,
  customer_id BIGINT,
  amount      DOUBLE
) WITH ('changelog.mode' = 'upsert', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE customers (
  customer_id BIGINT PRIMARY KEY NOT ENFORCED,
  tier        STRING
) WITH ('changelog.mode' = 'upsert', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE gold_orders (
  order_id BIGINT PRIMARY KEY NOT ENFORCED,
  amount   DOUBLE
) WITH ('changelog.mode' = 'upsert');
CREATE TABLE lonely_orders (
  order_id BIGINT PRIMARY KEY NOT ENFORCED,
  customer_id BIGINT
) WITH ('changelog.mode' = 'upsert');

EXECUTE STATEMENT SET BEGIN
INSERT INTO gold_orders
SELECT order_id, amount FROM orders
WHERE customer_id IN (SELECT customer_id FROM customers WHERE tier = 'gold');
INSERT INTO lonely_orders
SELECT order_id, customer_id FROM orders o
WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.customer_id = o.customer_id);
END;
"""

TIERS = ["gold", "silver", "bronze"]


class World:
    """The produced records and the final state they leave."""

    def __init__(self):
        self.orders, self.customers = {}, {}
        self.order_recs, self.customer_recs = [], []
        self.done = 0

    def customer(self, cid, tier=None, delete=False):
        if delete:
            self.customers.pop(cid, None)
            value = None
        else:
            value = {"customer_id": cid, "tier": tier}
            self.customers[cid] = value
        self.customer_recs.append(Rec(key={"customer_id": cid}, value=value, partition=cid % 2))

    def order(self, oid, cid=None, amount=None, delete=False):
        if delete:
            self.orders.pop(oid, None)
            value = None
        else:
            value = {"order_id": oid, "customer_id": cid, "amount": amount}
            self.orders[oid] = value
        self.order_recs.append(Rec(key={"order_id": oid}, value=value, partition=oid % 3))

    def flush(self, bs):
        produce(bs, "customers", self.customer_recs)
        produce(bs, "orders", self.order_recs)
        self.done += len(self.customer_recs) + len(self.order_recs)
        self.customer_recs, self.order_recs = [], []

    def expected_gold(self):
        return {ukey(order_id=oid): {"order_id": oid, "amount": o["amount"]} for oid, o in self.orders.items()
                if o["customer_id"] in self.customers and self.customers[o["customer_id"]]["tier"] == "gold"}

    def expected_lonely(self):
        # NOT EXISTS: a NULL customer_id meets no customer, so the order stays
        return {ukey(order_id=oid): {"order_id": oid, "customer_id": o["customer_id"]} for oid, o in self.orders.items()
                if o["customer_id"] not in self.customers}


def gold(bs):
    return fold_upsert(read_topic(bs, "gold_orders"))


def lonely(bs):
    return fold_upsert(read_topic(bs, "lonely_orders"))


def test(eddy, workdir):
    sql = write_file(workdir, "semi.sql", SQL)
    state = os.path.join(workdir, "semi.db")
    w = World()
    with Broker(eddy, workdir, {"orders": 3, "customers": 2, "gold_orders": 1, "lonely_orders": 1}) as b:
        bs = b.bootstrap
        # 200 customers over three tiers; 1500 orders over customer ids 0..239 (40 missing) and some NULLs.
        for cid in range(200):
            w.customer(cid, TIERS[cid % 3])
        for oid in range(1500):
            w.order(oid, None if oid % 101 == 0 else (oid * 7) % 240, float(oid % 97) + 0.5)
        w.flush(bs)
        job = Job(eddy, bs, sql, workdir, "semi", state=state)
        try:
            wait_for("the first results", lambda: len(gold(bs)) == len(w.expected_gold()) and len(lonely(bs)) == len(w.expected_lonely()),
                     timeout=60, job=job)
            wait_for("a checkpoint of the first records", lambda: checkpointed(state, w.done), timeout=30, job=job)
            # Changes after the checkpoint: the kill loses the job's view of them, the restart reads them again.
            for cid in range(1, 200, 7):
                w.customer(cid, "gold")
            for oid in range(2, 1500, 29):
                w.order(oid, (oid * 5) % 240, 3.5)
            w.flush(bs)
            job.kill()
            step("killed with %d gold and %d lonely orders out" % (len(gold(bs)), len(lonely(bs))))

            # More of both sides: customers deleted (their orders turn lonely,
            # leave gold), demoted, missing ones created; orders that move or go.
            for cid in range(0, 200, 13):
                w.customer(cid, delete=True)
            for cid in range(0, 200, 10):
                if cid in w.customers:
                    w.customer(cid, "silver")
            for cid in range(200, 230):
                w.customer(cid, "gold")
            for oid in range(0, 1500, 17):
                w.order(oid, delete=True)
            for oid in range(5, 1500, 23):
                w.order(oid, (oid * 11) % 250, 1.25)
            for oid in range(1500, 1700):
                w.order(oid, oid % 240, 2.0)
            w.flush(bs)
            want_gold, want_lonely = w.expected_gold(), w.expected_lonely()
            step("%d gold and %d lonely orders expected" % (len(want_gold), len(want_lonely)))
            job = Job(eddy, bs, sql, workdir, "semi", state=state)
            wait_for("the final tables", tables_match(("gold_orders", lambda: gold(bs), want_gold),
                                                      ("lonely_orders", lambda: lonely(bs), want_lonely)), timeout=90, job=job)
            job.term()
            check_table("gold_orders (IN) after kill -9, restart and more changes", gold(bs), want_gold)
            check_table("lonely_orders (NOT EXISTS) after kill -9, restart and more changes", lonely(bs), want_lonely)
        finally:
            job.kill()


main(test)
