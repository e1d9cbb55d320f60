"""e2e/nested_avro — nested Avro over Kafka, both ways, with a kill -9.

Confluent's Python AvroProducer (confluent_kafka.avro, a client eddy did
not write) produces orders whose registered value schema nests: a
nullable record customer holding a nullable record address, an array of
item records (a nullable qty inside), a nullable map of nullable strings.
orders_raw has no DDL: eddy derives its ROW, ARRAY and MAP columns from the
registry (DESCRIBE is checked).  The job flattens the items with CROSS
JOIN UNNEST, reads fields two levels down and a map entry, and writes an
upsert Avro table (key: order_id, sku) that also carries the nested
customer and attrs values, so eddy registers a schema with nested records
and encodes them.  Confluent's deserializer reads the sink back; the final
table must equal what Python computes from the orders it produced.  The
job is killed with SIGKILL after a checkpoint, more orders (and new
versions of earlier ones) are produced, and a restarted job must end at
the exact table.
"""
import os
import random
import sqlite3
import sys

from eddyharness import REPO, Broker, Job, check, last_values, main, run, step, wait_for, write_file

sys.path.insert(0, os.path.join(REPO, "tests", "avro"))
from avrotest import avro_producer, http, read_avro  # noqa: E402

VALUE_SCHEMA = """{"type": "record", "name": "Order", "namespace": "com.example.shop", "fields": [
  {"name": "order_id", "type": "long"},
  {"name": "customer", "type": ["null", {"type": "record", "name": "Customer", "fields": [
      {"name": "id", "type": "long"},
      {"name": "tier", "type": ["null", "string"], "default": null},
      {"name": "address", "type": ["null", {"type": "record", "name": "Address", "fields": [
          {"name": "city", "type": "string"},
          {"name": "zip", "type": ["null", "string"], "default": null}]}], "default": null}]}], "default": null},
  {"name": "items", "type": {"type": "array", "items": {"type": "record", "name": "Item", "fields": [
      {"name": "sku", "type": "string"},
      {"name": "qty", "type": ["null", "int"], "default": null},
      {"name": "price", "type": "double"}]}}},
  {"name": "attrs", "type": ["null", {"type": "map", "values": ["null", "string"]}], "default": null},
  {"name": "note", "type": ["int", "string"]}]}"""
KEY_SCHEMA = '"long"'

SQL = """
CREATE TABLE lines (
  order_id BIGINT,
  sku      STRING,
  qty      INT,
  price    DOUBLE,
  tier     STRING,
  city     STRING,
  channel  STRING,
  customer ROW<id BIGINT NOT NULL, tier STRING, address ROW<city STRING NOT NULL, zip STRING>>,
  attrs    MAP<STRING NOT NULL, STRING>,
  n_items  INT,
  PRIMARY KEY (order_id, sku) NOT ENFORCED
) WITH ('format' = 'avro-confluent');

INSERT INTO lines
SELECT o.order_id, t.sku, t.qty, t.price, o.customer.tier, o.customer.address.city, o.attrs['channel'],
       o.customer, o.attrs, CARDINALITY(o.items)
FROM orders_raw AS o CROSS JOIN UNNEST(o.items) AS t (sku, qty, price);
"""

CITIES = ["Oslo", "Lima", "Pune", "Kyiv"]


class World:
    """The orders produced and the lines they leave in the upsert table."""

    def __init__(self, broker):
        self.p = avro_producer(broker, KEY_SCHEMA, VALUE_SCHEMA)
        self.rnd = random.Random(11)
        self.lines = {}   # (order_id, sku) → row
        self.n = 0

    def order(self, oid, version=0):
        r = self.rnd
        cust = None
        if oid % 7:
            addr = None if oid % 5 == 0 else {"city": CITIES[oid % 4], "zip": None if oid % 3 == 0 else "%05d" % oid}
            cust = {"id": oid % 50, "tier": r.choice([None, "gold", "silver"]), "address": addr}
        items = [{"sku": "s%d-%d" % (oid, k), "qty": None if (k + version) % 4 == 3 else k + version, "price": (oid * 7 + k) / 4.0}
                 for k in range((oid + version) % 5)]   # 0 to 4 items: an order without items has no lines
        attrs = None if oid % 6 == 0 else {"channel": r.choice(["web", "app", None]), "v": str(version)}
        value = {"order_id": oid, "customer": cust, "items": items, "attrs": attrs, "note": r.choice([1, "x"])}
        self.p.produce(topic="orders_raw", key=oid, value=value, partition=oid % 3)
        self.n += 1
        if self.n % 200 == 0:
            self.p.poll(0)
        # an upsert table keyed (order_id, sku): a new version of an order
        # rewrites the lines it has; lines of the old version it lacks stay
        for it in items:
            self.lines[(oid, it["sku"])] = {
                "order_id": oid, "sku": it["sku"], "qty": it["qty"], "price": it["price"],
                "tier": cust["tier"] if cust else None,
                "city": cust["address"]["city"] if cust and cust["address"] else None,
                "channel": attrs.get("channel") if attrs else None,
                "customer": cust, "attrs": attrs, "n_items": len(items)}

    def flush(self):
        check(self.p.flush(30) == 0, "AvroProducer did not deliver everything")


def offsets_checkpointed(state, n):
    """Whether the state file's last checkpoint holds the offsets of at
    least n records (this job keeps no operator state, only offsets)."""
    if not os.path.exists(state):
        return False
    db = sqlite3.connect(state)
    try:
        return db.execute("SELECT coalesce(sum(next_offset), 0) FROM eddy_offsets").fetchone()[0] >= n
    except sqlite3.Error:
        return False
    finally:
        db.close()


def table_of(b):
    """The sink's final table, read with Confluent's deserializer."""
    recs = read_avro(b, "lines")
    for m in recs:
        check(isinstance(m.key, dict) and set(m.key) == {"order_id", "sku"}, "key %r is not the record {order_id, sku}" % (m.key,))
    return last_values(((m.key["order_id"], m.key["sku"]), m.value) for m in recs)


def test(eddy, workdir):
    sql = write_file(workdir, "nested_avro.sql", SQL)
    state = os.path.join(workdir, "nested_avro.db")
    with Broker(eddy, workdir, {"orders_raw": 3, "lines": 2}) as b:
        w = World(b)
        for oid in range(600):
            w.order(oid)
        w.flush()
        step("AvroProducer wrote %d nested orders" % w.n)

        out = run([eddy, "run", "--registry", b.registry, write_file(workdir, "d.sql", "DESCRIBE orders_raw;")]).out
        for want in ("ROW<`id` BIGINT NOT NULL, `tier` STRING, `address` ROW<`city` STRING NOT NULL, `zip` STRING>>",
                     "ARRAY<ROW<`sku` STRING NOT NULL, `qty` INT, `price` DOUBLE NOT NULL> NOT NULL>",
                     "MAP<STRING NOT NULL, STRING>"):
            check(want in out, "DESCRIBE orders_raw lacks %s:\n%s" % (want, out))
        check("note" not in out, "a union of int and string became a column:\n%s" % out)

        job = Job(eddy, b.bootstrap, sql, workdir, "nested_avro", state=state, extra=("--registry", b.registry))
        try:
            want = dict(w.lines)
            wait_for("the first lines", lambda: table_of(b) == want, timeout=60, job=job)
            wait_for("a checkpoint of the first orders", lambda: offsets_checkpointed(state, w.n), timeout=30, job=job)
            for oid in range(600, 700):
                w.order(oid)
            w.flush()
            job.kill()
            step("killed with %d lines in the table" % len(table_of(b)))

            for oid in range(0, 700, 9):
                w.order(oid, version=1)
            for oid in range(700, 900):
                w.order(oid)
            w.flush()
            want = dict(w.lines)
            step("%d lines expected" % len(want))
            job = Job(eddy, b.bootstrap, sql, workdir, "nested_avro", state=state, extra=("--registry", b.registry))
            wait_for("the final lines", lambda: table_of(b) == want, timeout=90, job=job)
            job.term()
            got = table_of(b)
            check(got == want, "lines after kill -9 and restart differ: %d rows, %d expected" % (len(got), len(want)))
        finally:
            job.kill()

        st, latest = http("GET", b.registry + "/subjects/lines-value/versions/latest")
        check(st == 200, "lines-value: %s %r" % (st, latest))
        for want in ('"name":"record_customer"', '"name":"record_customer_address"',
                     '{"type":"map","values":["null","string"]}'):
            check(want in latest["schema"], "the sink's value schema lacks %s: %s" % (want, latest["schema"]))
        step("the sink's registered schema names its nested records as Flink does")


if __name__ == "__main__":
    main(test)
