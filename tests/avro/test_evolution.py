"""avro/evolution — records written under two versions of a schema in one
topic, aggregated correctly.  Version 1 has user_id and an int amount;
version 2 drops user_id, promotes amount to double and adds a nullable
channel with a default (a BACKWARD-compatible change, so the registry
accepts it).  Confluent's AvroProducer writes v1, v2, v1 again, in one
topic.  eddy reads it twice: through a CREATE TABLE with all five columns
(user_id NULL in v2 records, channel NULL in v1 records, amount int →
double), and through the table it derives from the registry (the latest
schema: no user_id).  Both results are checked against Python's."""

import json
import math
import random

from avrotest import avro_producer, avro_table, http, read_avro, run_job
from confluent_kafka import avro as cavro
from eddyharness import Broker, check, last_values, main, read_topic, run, step, write_file

V1 = """{"type": "record", "name": "Order", "namespace": "shop", "fields": [
  {"name": "order_id", "type": "long"}, {"name": "user_id", "type": "long"},
  {"name": "amount", "type": "int"}, {"name": "region", "type": "string"}]}"""
V2 = """{"type": "record", "name": "Order", "namespace": "shop", "fields": [
  {"name": "order_id", "type": "long"}, {"name": "amount", "type": "double"},
  {"name": "region", "type": "string"},
  {"name": "channel", "type": ["null", "string"], "default": null}]}"""

SQL_DDL = """
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING, channel STRING)
  WITH ('format' = 'avro-confluent');
CREATE TABLE by_region (region STRING PRIMARY KEY NOT ENFORCED, n BIGINT, total DOUBLE, channels BIGINT,
  users BIGINT, max_user BIGINT) WITH ('format' = 'avro-confluent');
INSERT INTO by_region SELECT region, COUNT(*), SUM(amount), COUNT(channel), COUNT(user_id), MAX(user_id)
  FROM orders GROUP BY region;
"""

# orders without a CREATE TABLE: columns from the latest schema (v2)
SQL_DERIVED = """
CREATE TABLE by_region_json (region STRING PRIMARY KEY NOT ENFORCED, n BIGINT, total DOUBLE, web BIGINT);
INSERT INTO by_region_json SELECT region, COUNT(*), SUM(amount), COUNT(CASE WHEN channel = 'web' THEN 1 END)
  FROM orders GROUP BY region;
"""


def test(eddy, work):
    with Broker(eddy, work, {"orders": 3, "by_region": 2, "by_region_json": 2}) as b:
        rnd = random.Random(11)
        p = avro_producer(b, '"long"')
        v1, v2 = cavro.loads(V1), cavro.loads(V2)
        rows = []   # (region, amount, user_id or None, channel or None)
        oid = 0
        for phase, schema in ((1, v1), (2, v2), (1, v1)):
            for _ in range(700):
                oid += 1
                region = rnd.choice(["north", "south", "east"])
                if phase == 1:
                    v = {"order_id": oid, "user_id": rnd.randint(1, 90), "amount": rnd.randint(1, 999), "region": region}
                    rows.append((region, float(v["amount"]), v["user_id"], None))
                else:
                    v = {"order_id": oid, "amount": rnd.randint(1, 99999) / 100.0, "region": region,
                         "channel": rnd.choice([None, "web", "app"])}
                    rows.append((region, v["amount"], None, v["channel"]))
                p.produce(topic="orders", key=oid, value=v, value_schema=schema)
            p.flush(30)
        del p
        step("AvroProducer wrote %d orders under two schema versions" % oid)
        st, versions = http("GET", b.registry + "/subjects/orders-value/versions")
        check(st == 200 and versions == [1, 2], "orders-value versions: %r" % (versions,))

        err = run_job(eddy, b, write_file(work, "ddl.sql", SQL_DDL)).err
        check("%d records in" % oid in err and "0 malformed" in err, "eddy stderr:\n%s" % err)
        got = avro_table(read_avro(b, "by_region"), "region")
        for region in ("north", "south", "east"):
            mine = [r for r in rows if r[0] == region]
            g = got[region]
            check(g["n"] == len(mine), "%s: n %r, expected %d" % (region, g["n"], len(mine)))
            check(math.isclose(g["total"], math.fsum(r[1] for r in mine), rel_tol=1e-12), "%s: total %r" % (region, g["total"]))
            check(g["channels"] == sum(1 for r in mine if r[3] is not None), "%s: channels %r" % (region, g["channels"]))
            check(g["users"] == sum(1 for r in mine if r[2] is not None), "%s: users %r" % (region, g["users"]))
            check(g["max_user"] == max(r[2] for r in mine if r[2] is not None), "%s: max_user %r" % (region, g["max_user"]))
        step("CREATE TABLE over both versions: the aggregates match")

        out = run([eddy, "run", "--registry", b.registry, write_file(work, "d.sql", "DESCRIBE orders;")]).out
        check("channel" in out and "user_id" not in out, "the derived table is not the latest schema:\n%s" % out)
        run_job(eddy, b, write_file(work, "derived.sql", SQL_DERIVED))
        got = last_values((json.loads(m.key)["region"], None if m.value is None else json.loads(m.value))
                          for m in read_topic(b.bootstrap, "by_region_json"))
        for region in ("north", "south", "east"):
            mine = [r for r in rows if r[0] == region]
            g = got[region]
            check(g["n"] == len(mine) and math.isclose(g["total"], math.fsum(r[1] for r in mine), rel_tol=1e-12),
                  "%s (derived): %r" % (region, g))
            check(g["web"] == sum(1 for r in mine if r[3] == "web"), "%s (derived): web %r" % (region, g["web"]))
        step("the table derived from the registry reads v1 records too")


main(test)
