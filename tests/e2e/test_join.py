"""e2e/join — enrichment over Kafka: upsert orders LEFT JOIN an upsert
customers table, into an upsert table keyed by the order, with a kill -9 in
the middle.

Orders (keyed by order_id, 3 partitions) name a customer; customers (keyed
by customer_id, 2 partitions) are created, renamed and deleted while orders
come, are updated, move to another customer and are deleted.  Some orders
name a customer that does not exist (yet).  Across topics Kafka gives no
order, so what is checked is what every order of arrival must end in: the
enriched table equals the join of the final orders with the final customers,
computed here in Python — each live order once, with its customer's current
name and region, or NULLs when that customer does not exist.  The job is
killed with SIGKILL after some results are out (its join state is in the
last checkpoint, the records after it are read again) and restarted on more
changes of both topics; then stopped cleanly.
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
  name        STRING,
  region      STRING
) WITH ('changelog.mode' = 'upsert', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE enriched (
  order_id BIGINT PRIMARY KEY NOT ENFORCED,
  name     STRING,
  region   STRING,
  amount   DOUBLE
) WITH ('changelog.mode' = 'upsert');

INSERT INTO enriched
SELECT o.order_id, c.name, c.region, o.amount
FROM orders o LEFT JOIN customers c ON o.customer_id = c.customer_id;
"""

REGIONS = ["north", "south", "east", "west"]


class World:
    """The produced records and the final state they leave."""

    def __init__(self):
        self.orders, self.customers = {}, {}
        self.order_recs, self.customer_recs = [], []
        self.order_done, self.customer_done = [], []

    def customer(self, cid, name=None, delete=False):
        if delete:
            self.customers.pop(cid, None)
            value = None
        else:
            value = {"customer_id": cid, "name": name, "region": REGIONS[cid % len(REGIONS)]}
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
        """Produces what was recorded since the last flush, customers first."""
        produce(bs, "customers", self.customer_recs)
        produce(bs, "orders", self.order_recs)
        self.customer_done += self.customer_recs
        self.order_done += self.order_recs
        self.customer_recs, self.order_recs = [], []

    def expected(self):
        out = {}
        for oid, o in self.orders.items():
            c = self.customers.get(o["customer_id"])
            out[ukey(order_id=oid)] = {"order_id": oid, "name": c["name"] if c else None,
                                       "region": c["region"] if c else None, "amount": o["amount"]}
        return out


def table_of(bs):
    return fold_upsert(read_topic(bs, "enriched"))


def test(eddy, workdir):
    sql = write_file(workdir, "join.sql", SQL)
    state = os.path.join(workdir, "join.db")
    w = World()
    with Broker(eddy, workdir, {"orders": 3, "customers": 2, "enriched": 1}) as b:
        bs = b.bootstrap
        # 200 customers; 1500 orders over customer ids 0..239 (40 missing).
        for cid in range(200):
            w.customer(cid, "c%d" % cid)
        for oid in range(1500):
            w.order(oid, (oid * 7) % 240, float(oid % 97) + 0.5)
        for cid in range(0, 200, 9):   # renames
            w.customer(cid, "c%d-renamed" % cid)
        w.flush(bs)
        job = Job(eddy, bs, sql, workdir, "join", state=state)
        try:
            wait_for("some enriched orders", lambda: len(table_of(bs)) >= 1000, timeout=60, job=job)
            n = len(w.order_done) + len(w.customer_done)
            wait_for("a checkpoint of the first records", lambda: checkpointed(state, n), timeout=30, job=job)
            # Changes after the checkpoint: the kill loses the job's view of
            # them, the restart reads them again (into an upsert sink).
            for cid in range(3, 200, 17):
                w.customer(cid, "c%d-before-kill" % cid)
            for oid in range(2, 1500, 29):
                w.order(oid, (oid * 5) % 240, 3.5)
            w.flush(bs)
            job.kill()
            step("killed with %d rows in the table" % len(table_of(bs)))

            # More of both sides: deletes, renames, customers that were
            # missing, orders that move or go.
            for cid in range(0, 200, 13):
                w.customer(cid, delete=True)
            for cid in range(200, 230):
                w.customer(cid, "late%d" % cid)
            for cid in range(1, 200, 11):
                w.customer(cid, "c%d-again" % cid)
            for oid in range(0, 1500, 17):
                w.order(oid, delete=True)
            for oid in range(5, 1500, 23):
                w.order(oid, (oid * 11) % 250, 1.25)
            for oid in range(1500, 1700):
                w.order(oid, oid % 240, 2.0)
            w.flush(bs)
            want = w.expected()
            step("%d enriched orders expected" % len(want))
            job = Job(eddy, bs, sql, workdir, "join", state=state)
            wait_for("the final enriched table", tables_match(("enriched", lambda: table_of(bs), want)), timeout=90, job=job)
            rc, err = job.term()
            check_table("enriched after kill -9, restart and more changes", table_of(bs), want)
        finally:
            job.kill()


main(test)
