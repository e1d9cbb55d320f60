"""avrotest — what only the Avro end-to-end tests (tests/avro/) need.

The broker (with its Schema Registry), producing raw records, reading back,
running eddy and the test program come from the shared harness
(tests/lib/eddyharness.py).  Here: Confluent's own Python Avro client
(confluent_kafka.avro on Debian's python3-avro) to produce (avro_producer)
and to decode what eddy wrote (read_avro, with the deserializer
AvroConsumer uses, through the registry); avro_table, an upsert topic's
final table keyed by one key column; run_job, `eddy run --bounded` with the
broker's registry and no state file; the reference job's per-region
summary (summary_of, check_summary); and http, a request to the registry's
REST API.
"""

import math

from confluent_kafka import avro as cavro
from confluent_kafka.avro import AvroProducer, CachedSchemaRegistryClient, MessageSerializer
from eddyharness import check, last_values, read_topic, round_half_up, run_bounded


def run_job(eddy, broker, sql_path, expect=0, extra=()):
    """`eddy run --bounded` over the broker with its registry, no state
    file.  Returns its Ran."""
    return run_bounded(eddy, broker.bootstrap, sql_path, state="none", registry=broker.registry, expect=expect,
                       extra=extra, timeout=120)


def avro_producer(broker, key_schema=None, value_schema=None):
    """Confluent's AvroProducer over the broker and its registry."""
    conf = {"bootstrap.servers": broker.bootstrap, "schema.registry.url": broker.registry, "linger.ms": 5}
    return AvroProducer(conf, default_key_schema=cavro.loads(key_schema) if key_schema else None,
                        default_value_schema=cavro.loads(value_schema) if value_schema else None)


def read_avro(broker, topic):
    """Every record of topic (eddyharness.read_topic), keys and values in
    the Confluent wire format decoded by confluent_kafka.avro's
    MessageSerializer, the deserializer AvroConsumer uses, with the schemas
    fetched from the registry by id."""
    ser = MessageSerializer(CachedSchemaRegistryClient(broker.registry))

    def dec(data, is_key):
        return None if data is None else ser.decode_message(data, is_key=is_key)
    return [m._replace(key=dec(m.key, True), value=dec(m.value, False)) for m in read_topic(broker.bootstrap, topic)]


def avro_table(msgs, keyname):
    """An upsert topic's final table read with read_avro: key column value
    → row dict (the last value per key wins, tombstones delete)."""
    return last_values((m.key[keyname] if isinstance(m.key, dict) else m.key, m.value) for m in msgs)


def summary_of(orders):
    """The reference job's result for (region, amount) pairs, computed here."""
    by = {}
    for region, amount in orders:
        by.setdefault(region, []).append(amount)
    return {r: {"region": r, "total_orders": len(a), "total_sales": math.fsum(a),
                "avg_order_value": round_half_up(math.fsum(a) / len(a), 2)} for r, a in by.items()}


def check_summary(got, want, what):
    check(sorted(got) == sorted(want), "%s: regions %s, expected %s" % (what, sorted(got), sorted(want)))
    for r, w in want.items():
        g = got[r]
        check(g["total_orders"] == w["total_orders"], "%s %s: total_orders %r, expected %r" % (what, r, g["total_orders"], w["total_orders"]))
        check(math.isclose(g["total_sales"], w["total_sales"], rel_tol=1e-12, abs_tol=1e-9),
              "%s %s: total_sales %r, expected %r" % (what, r, g["total_sales"], w["total_sales"]))
        check(abs(g["avg_order_value"] - w["avg_order_value"]) <= 0.0100001,
              "%s %s: avg_order_value %r, expected %r" % (what, r, g["avg_order_value"], w["avg_order_value"]))


def http(method, url, body=None):
    """A registry request with requests: (status, parsed JSON or text)."""
    import requests
    r = requests.request(method, url, json=body, timeout=10,
                         headers={"Content-Type": "application/vnd.schemaregistry.v1+json"} if body is not None else {})
    try:
        return r.status_code, r.json()
    except ValueError:
        return r.status_code, r.text
