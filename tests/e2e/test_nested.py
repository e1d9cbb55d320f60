"""e2e/nested — nested JSON over Kafka: ROW, ARRAY and MAP columns through a
LEFT JOIN on a field of a nested column, into an upsert table of nested
columns, with a kill -9 in the middle while nested values are in the
join's state.

Orders (keyed by order_id, 3 partitions) carry a ROW customer, an ARRAY of
ROW items and a MAP of attributes; customers (2 partitions) a ROW profile
that nests a ROW address and an ARRAY of tags.  Orders and customers are
created, changed and deleted; the enriched table must end as the join of
the final orders with the final customers computed here: the customer's
whole profile (a nested value kept in the join's right-side state), a
field two levels down, the items array, its CARDINALITY and first
element's field, the map.  The job is killed with SIGKILL after a
checkpoint holds join state, restarted on more changes, then stopped.
"""
import os

from eddyharness import Broker, Job, Rec, check_table, fold_upsert, main, produce, read_topic, step, tables_match, ukey, wait_for, write_file
from eddytest import checkpointed

SQL = """
CREATE TABLE orders (
  order_id BIGINT PRIMARY KEY NOT ENFORCED,
  customer ROW<id BIGINT, tier STRING>,
  items    ARRAY<ROW<sku STRING, qty INT>>,
  attrs    MAP<STRING, STRING>
) WITH ('changelog.mode' = 'upsert', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE customers (
  customer_id BIGINT PRIMARY KEY NOT ENFORCED,
  profile     ROW<name STRING, address ROW<city STRING, zip STRING>, tags ARRAY<STRING>>
) WITH ('changelog.mode' = 'upsert', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE enriched (
  order_id  BIGINT PRIMARY KEY NOT ENFORCED,
  city      STRING,
  profile   ROW<name STRING, address ROW<city STRING, zip STRING>, tags ARRAY<STRING>>,
  items     ARRAY<ROW<sku STRING, qty INT>>,
  nitems    INT,
  first_sku STRING,
  attrs     MAP<STRING, STRING>
) WITH ('changelog.mode' = 'upsert');

INSERT INTO enriched
SELECT o.order_id, c.profile.address.city, c.profile, o.items, CARDINALITY(o.items), o.items[1].sku, o.attrs
FROM orders o LEFT JOIN customers c ON o.customer.id = c.customer_id;
"""

CITIES = ["Oslo", "Lima", "Pune", "Kyiv"]


class World:
    """The produced records and the final state they leave."""

    def __init__(self):
        self.orders, self.customers = {}, {}
        self.order_recs, self.customer_recs = [], []
        self.done = 0

    def customer(self, cid, name=None, delete=False):
        if delete:
            self.customers.pop(cid, None)
            value = None
        else:
            addr = None if cid % 10 == 0 else {"city": CITIES[cid % 4], "zip": "%05d" % cid}
            value = {"customer_id": cid, "profile": {"name": name, "address": addr, "tags": ["t%d" % (cid % 3)] * (cid % 3)}}
            self.customers[cid] = value
        self.customer_recs.append(Rec(key={"customer_id": cid}, value=value, partition=cid % 2))

    def order(self, oid, cid=None, nitems=0, delete=False):
        if delete:
            self.orders.pop(oid, None)
            value = None
        else:
            items = [{"sku": "s%d-%d" % (oid, i), "qty": i if i % 2 else None} for i in range(nitems)]
            attrs = {"channel": "web" if oid % 2 else "app", "n": str(oid)} if oid % 5 else None
            value = {"order_id": oid, "customer": {"id": cid, "tier": "gold" if cid % 2 else None}, "items": items, "attrs": attrs}
            self.orders[oid] = value
        self.order_recs.append(Rec(key={"order_id": oid}, value=value, partition=oid % 3))

    def flush(self, bs):
        produce(bs, "customers", self.customer_recs)
        produce(bs, "orders", self.order_recs)
        self.done += len(self.customer_recs) + len(self.order_recs)
        self.customer_recs, self.order_recs = [], []

    def expected(self):
        out = {}
        for oid, o in self.orders.items():
            c = self.customers.get(o["customer"]["id"])
            p = c["profile"] if c else None
            items = o["items"]
            out[ukey(order_id=oid)] = {
                "order_id": oid,
                "city": p["address"]["city"] if p and p["address"] else None,
                "profile": p,
                "items": items,
                "nitems": len(items),
                "first_sku": items[0]["sku"] if items else None,
                "attrs": o["attrs"],
            }
        return out


def table_of(bs):
    return fold_upsert(read_topic(bs, "enriched"))


def test(eddy, workdir):
    sql = write_file(workdir, "nested.sql", SQL)
    state = os.path.join(workdir, "nested.db")
    w = World()
    with Broker(eddy, workdir, {"orders": 3, "customers": 2, "enriched": 1}) as b:
        bs = b.bootstrap
        for cid in range(120):
            w.customer(cid, "c%d" % cid)
        for oid in range(800):
            w.order(oid, (oid * 7) % 140, oid % 6)
        w.flush(bs)
        job = Job(eddy, bs, sql, workdir, "nested", state=state)
        try:
            wait_for("the first enriched orders", lambda: table_of(bs) == w.expected(), timeout=60, job=job)
            wait_for("a checkpoint of the first records", lambda: checkpointed(state, w.done), timeout=30, job=job)
            for cid in range(3, 120, 17):
                w.customer(cid, "c%d-before-kill" % cid)
            w.flush(bs)
            job.kill()
            step("killed with %d rows in the table" % len(table_of(bs)))

            for cid in range(0, 120, 13):
                w.customer(cid, delete=True)
            for cid in range(120, 140):
                w.customer(cid, "late%d" % cid)
            for oid in range(0, 800, 17):
                w.order(oid, delete=True)
            for oid in range(5, 800, 23):
                w.order(oid, (oid * 11) % 140, (oid % 4) + 1)
            w.flush(bs)
            want = w.expected()
            step("%d enriched orders expected" % len(want))
            job = Job(eddy, bs, sql, workdir, "nested", state=state)
            wait_for("the final enriched table", tables_match(("enriched", lambda: table_of(bs), want)), timeout=90, job=job)
            job.term()
            check_table("enriched after kill -9, restart and more changes", table_of(bs), want)
        finally:
            job.kill()


if __name__ == "__main__":
    main(test)
