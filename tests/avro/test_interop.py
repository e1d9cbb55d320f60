"""avro/interop — eddy and a client it did not write: Confluent's Python
AvroProducer produces orders through eddy's development registry and
broker; eddy runs sql/orders_avro.sql (orders_raw known only from the
registry, the summary written as Avro with registered key and value
schemas); Confluent's Avro deserializer (the one AvroConsumer uses) reads
the upsert output back and the values are checked against what Python
computes.  Also: the REST endpoints
Confluent's clients call answer as Confluent's registry does."""

import os
import random

from avrotest import avro_producer, avro_table, check_summary, http, read_avro, run_job, summary_of
from eddyharness import REPO, Broker, check, main, run, step, write_file

VALUE_SCHEMA = """{"type": "record", "name": "Order", "namespace": "com.example.shop",
  "fields": [{"name": "order_id", "type": "long"}, {"name": "user_id", "type": "long"},
             {"name": "amount", "type": "double"}, {"name": "region", "type": "string"},
             {"name": "coupon", "type": ["null", "string"], "default": null},
             {"name": "items", "type": {"type": "array", "items": "string"}, "default": []}]}"""
KEY_SCHEMA = '"long"'
N = 3000


def test(eddy, work):
    with Broker(eddy, work, {"orders_raw": 4, "orders_summary": 4}) as b:
        rnd = random.Random(7)
        regions = ["us-east", "us-west", "eu-west", "eu-central", "ap-south"]
        orders = []
        p = avro_producer(b, KEY_SCHEMA, VALUE_SCHEMA)
        for i in range(1, N + 1):
            o = {"order_id": i, "user_id": rnd.randint(1, 500), "amount": rnd.randint(100, 50000) / 100.0,
                 "region": rnd.choice(regions), "coupon": rnd.choice([None, "SPRING"]),
                 "items": ["sku%d" % k for k in range(rnd.randint(0, 3))]}
            orders.append(o)
            p.produce(topic="orders_raw", key=i, value=o)
            if i % 500 == 0:
                p.poll(0)
        check(p.flush(30) == 0, "AvroProducer did not deliver everything")
        del p
        step("AvroProducer wrote %d orders" % N)

        # DESCRIBE: the table eddy derives from orders_raw-value
        out = run([eddy, "run", "--registry", b.registry, write_file(work, "d.sql", "DESCRIBE orders_raw;")]).out
        for col in ("order_id", "user_id", "amount", "region", "coupon"):
            check(col in out, "DESCRIBE orders_raw lacks %s:\n%s" % (col, out))
        check("ARRAY<STRING NOT NULL>" in out, "the array field items is not an ARRAY column:\n%s" % out)
        check("format 'avro-confluent'" in out, "DESCRIBE:\n%s" % out)

        err = run_job(eddy, b, os.path.join(REPO, "sql", "orders_avro.sql")).err
        check("%d records in" % N in err, "eddy did not read %d records:\n%s" % (N, err))
        step("eddy ran sql/orders_avro.sql")

        recs = read_avro(b, "orders_summary")
        for m in recs:
            k, v = m.key, m.value
            check(isinstance(k, dict) and set(k) == {"region"}, "key %r is not the Avro record {region}" % (k,))
            check(v is None or set(v) == {"region", "total_orders", "total_sales", "avg_order_value"}, "value %r" % (v,))
        got = avro_table(recs, "region")
        check_summary(got, summary_of([(o["region"], o["amount"]) for o in orders]), "orders_summary")
        step("the Avro deserializer read %d summary records; the final table matches" % len(recs))

        # The registry as Confluent's clients see it.
        reg = b.registry
        st, subjects = http("GET", reg + "/subjects")
        check(st == 200 and sorted(subjects) == ["orders_raw-key", "orders_raw-value", "orders_summary-key", "orders_summary-value"],
              "GET /subjects: %s %r" % (st, subjects))
        st, latest = http("GET", reg + "/subjects/orders_summary-value/versions/latest")
        check(st == 200 and latest["version"] == 1 and latest["subject"] == "orders_summary-value", "latest: %r" % (latest,))
        check('"name":"total_orders","type":["null","long"],"default":null' in latest["schema"], "summary schema: %s" % latest["schema"])
        st, by_id = http("GET", reg + "/schemas/ids/%d" % latest["id"])
        check(st == 200 and by_id["schema"] == latest["schema"], "GET /schemas/ids: %r" % (by_id,))
        st, raw = http("GET", reg + "/schemas/ids/%d/schema" % latest["id"])
        check(st == 200 and raw["type"] == "record", "GET /schemas/ids/../schema: %r" % (raw,))
        st, versions = http("GET", reg + "/subjects/orders_raw-value/versions")
        check(st == 200 and versions == [1], "versions: %r" % (versions,))
        st, found = http("POST", reg + "/subjects/orders_raw-value", {"schema": VALUE_SCHEMA})
        check(st == 200 and found["version"] == 1, "POST /subjects/s (lookup): %s %r" % (st, found))
        st, e = http("GET", reg + "/subjects/nope-value/versions/latest")
        check(st == 404 and e["error_code"] == 40401, "unknown subject: %s %r" % (st, e))
        st, e = http("GET", reg + "/schemas/ids/999")
        check(st == 404 and e["error_code"] == 40403, "unknown id: %s %r" % (st, e))
        st, e = http("GET", reg + "/subjects/orders_raw-value/versions/7")
        check(st == 404 and e["error_code"] == 40402, "unknown version: %s %r" % (st, e))
        # Other methods on the root (or on nothing) are refused, and the
        # registry (and the Kafka broker in the same process) lives on.
        for method in ("POST", "PUT", "DELETE"):
            st, e = http(method, reg + "/")
            check(st == 404 and e["error_code"] == 404, "%s /: %s %r" % (method, st, e))
        st, root = http("GET", reg + "/")
        check(st == 200 and root == {}, "GET / after the refused requests: %s %r" % (st, root))
        # A subject that is not UTF-8 is refused (it could not be stored or
        # logged), and so is a schema beyond the development registry's bound.
        st, e = http("POST", reg + "/subjects/bad%ff-value/versions", {"schema": VALUE_SCHEMA})
        check(st == 422 and e["error_code"] == 42204, "a subject that is not UTF-8: %s %r" % (st, e))
        st, e = http("PUT", reg + "/config/bad%ff-value", {"compatibility": "NONE"})
        check(st == 422 and e["error_code"] == 42204, "a subject-level config for a name that is not UTF-8: %s %r" % (st, e))
        big = '{"type": "record", "name": "Big", "doc": "%s", "fields": [{"name": "a", "type": "long"}]}' % ("x" * (1100 * 1024))
        st, e = http("POST", reg + "/subjects/big-value/versions", {"schema": big})
        check(st == 422 and e["error_code"] == 42201 and "limit" in e["message"], "a 1.1 MiB schema: %s %r" % (st, str(e)[:200]))
        st, subjects = http("GET", reg + "/subjects")
        check(st == 200 and "big-value" not in subjects, "refused subjects were stored: %r" % (subjects,))
        st, cfg = http("GET", reg + "/config")
        check(st == 200 and cfg == {"compatibilityLevel": "BACKWARD"}, "GET /config: %r" % (cfg,))
        incompatible = VALUE_SCHEMA.replace('"name": "region", "type": "string"}', '"name": "region", "type": "long"}')
        st, c = http("POST", reg + "/compatibility/subjects/orders_raw-value/versions/latest", {"schema": incompatible})
        check(st == 200 and c == {"is_compatible": False}, "compatibility check: %r" % (c,))
        st, e = http("POST", reg + "/subjects/orders_raw-value/versions", {"schema": incompatible})
        check(st == 409, "incompatible registration: %s %r" % (st, e))
        st, c = http("PUT", reg + "/config/orders_raw-value", {"compatibility": "NONE"})
        check(st == 200 and c == {"compatibility": "NONE"}, "PUT /config/s: %r" % (c,))
        st, r = http("POST", reg + "/subjects/orders_raw-value/versions", {"schema": incompatible})
        check(st == 200 and "id" in r, "registration under NONE: %s %r" % (st, r))
        st, e = http("POST", reg + "/subjects/x-value/versions", {"schema": "{\"type\": \"recrod\"}"})
        check(st == 422 and e["error_code"] == 42201, "invalid schema: %s %r" % (st, e))
        st, types = http("GET", reg + "/schemas/types")
        check(st == 200 and types == ["AVRO"], "types: %r" % (types,))
        st, gone = http("DELETE", reg + "/subjects/orders_raw-value")
        check(st == 200 and gone == [1, 2], "DELETE: %r" % (gone,))
        st, subjects = http("GET", reg + "/subjects")
        check("orders_raw-value" not in subjects, "deleted subject still listed: %r" % (subjects,))
        step("the registry's REST endpoints answer as Confluent's do")


main(test)
