"""avrotest — the shared helper of the Avro end-to-end tests (tests/avro/).

Each test script is run by ctest as

    /usr/bin/python3 tests/avro/test_<name>.py path/to/eddy

and uses this module to start `eddy broker` (its first stdout line is the
Kafka bootstrap address, its second the URL of its Schema Registry), to
produce and consume Avro with Confluent's own Python client
(confluent_kafka.avro: AvroProducer, AvroConsumer, the Schema Registry
client, on Debian's python3-avro), to produce raw bytes, to run `eddy`
commands and check their exit status and stderr (sanitizer reports fail the
test), and to compare per-region summaries.  Every address is 127.0.0.1.
"""

import ctypes
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from decimal import ROUND_HALF_UP, Decimal

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka import avro as cavro
from confluent_kafka.avro import AvroConsumer, AvroProducer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_T0 = time.monotonic()


class Failure(AssertionError):
    """A test expectation that did not hold."""


def step(msg):
    print("[%6.2fs] %s" % (time.monotonic() - _T0, msg), flush=True)


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def _die_with_parent():
    try:   # PR_SET_PDEATHSIG: nothing outlives a test killed by ctest's timeout
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    except Exception:
        pass


_SANITIZER = re.compile(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer")


def check_sanitizer(what, text):
    m = _SANITIZER.search(text)
    if m:
        raise Failure("%s reported a sanitizer error:\n%s" % (what, text[max(0, m.start() - 200):][:4000]))


def round_half_up(x, n):
    """ROUND(x, n) of a DOUBLE as Flink does it (on the shortest decimal)."""
    return float(Decimal(repr(x)).quantize(Decimal(1).scaleb(-n), rounding=ROUND_HALF_UP))


class Broker:
    """`eddy broker` with pre-created topics {name: partitions}; a context manager."""

    def __init__(self, eddy, topics, work):
        self.eddy, self.topics, self.work = eddy, topics, work
        self.proc = None

    def __enter__(self):
        args = [self.eddy, "broker"]
        for name, parts in self.topics.items():
            args += ["--topic", "%s:%d" % (name, parts)]
        self.out = open(os.path.join(self.work, "broker.out"), "w+")
        self.err = open(os.path.join(self.work, "broker.err"), "w+")
        self.proc = subprocess.Popen(args, stdout=self.out, stderr=self.err, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + 20
        lines = []
        while time.monotonic() < deadline:
            with open(self.out.name) as f:
                lines = f.read().splitlines()
            if len(lines) >= 2:
                break
            if self.proc.poll() is not None:
                raise Failure("eddy broker exited with %d:\n%s" % (self.proc.returncode, self.stderr()))
            time.sleep(0.05)
        check(len(lines) >= 2, "eddy broker printed %r, expected two lines within 20 s" % lines)
        check(re.fullmatch(r"127\.0\.0\.1:[0-9]+", lines[0]), "first line %r is not 127.0.0.1:PORT" % lines[0])
        check(re.fullmatch(r"http://127\.0\.0\.1:[0-9]+", lines[1]), "second line %r is not http://127.0.0.1:PORT" % lines[1])
        self.bootstrap, self.registry = lines[0], lines[1]
        step("broker at %s, schema registry at %s" % (self.bootstrap, self.registry))
        return self

    def stderr(self):
        with open(self.err.name) as f:
            return f.read()

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                raise Failure("eddy broker did not stop within 30 s of SIGTERM")
            if exc[0] is None:
                check(rc == 0, "eddy broker exited with %d after SIGTERM:\n%s" % (rc, self.stderr()[-3000:]))
        if exc[0] is None:
            check_sanitizer("eddy broker", self.stderr())
        self.out.close()
        self.err.close()
        return False


def run(args, expect=0, timeout=120, env=None):
    """Runs a command; checks its exit status; returns (stdout, stderr)."""
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=e, preexec_fn=_die_with_parent)
    check_sanitizer(" ".join(args[:2]), p.stderr)
    if expect is not None and p.returncode != expect:
        raise Failure("%s exited with %d, expected %d\n--- stdout:\n%s\n--- stderr:\n%s"
                      % (" ".join(args), p.returncode, expect, p.stdout[-3000:], p.stderr[-3000:]))
    return p.stdout, p.stderr


def run_job(eddy, broker, sql_path, expect=0, extra=()):
    """`eddy run --bounded` over the broker with its registry."""
    return run([eddy, "run", "--bounded", "--state", "none", "--bootstrap", broker.bootstrap,
                "--registry", broker.registry] + list(extra) + [sql_path], expect=expect)


def avro_producer(broker, key_schema=None, value_schema=None):
    conf = {"bootstrap.servers": broker.bootstrap, "schema.registry.url": broker.registry, "linger.ms": 5}
    return AvroProducer(conf, default_key_schema=cavro.loads(key_schema) if key_schema else None,
                        default_value_schema=cavro.loads(value_schema) if value_schema else None)


def raw_produce(broker, topic, records):
    """records: (key bytes or None, value bytes or None, partition)."""
    p = Producer({"bootstrap.servers": broker.bootstrap})
    for k, v, part in records:
        p.produce(topic, key=k, value=v, partition=part)
    check(p.flush(30) == 0, "raw records were not all delivered")


def _ends(broker, topic):
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "avrotest-ends"})
    md = c.list_topics(topic, timeout=10)
    parts = sorted(md.topics[topic].partitions)
    ends = {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in parts}
    c.close()
    return ends


def consume(broker, topic, avro_values=True):
    """Every record of topic, from the beginning to the ends as they are now:
    [(partition, offset, key, value)], Avro decoded by AvroConsumer (through
    the registry) or raw bytes."""
    ends = _ends(broker, topic)
    conf = {"bootstrap.servers": broker.bootstrap, "group.id": "avrotest", "enable.auto.commit": False}
    if avro_values:
        conf["schema.registry.url"] = broker.registry
        c = AvroConsumer(conf)
    else:
        c = Consumer(conf)
    todo = {p: e for p, e in ends.items() if e > 0}
    c.assign([TopicPartition(topic, p, 0) for p in todo])
    out = []
    deadline = time.monotonic() + 60
    while todo and time.monotonic() < deadline:
        m = c.poll(1.0)
        if m is None:
            continue
        check(not m.error(), "consuming %s: %s" % (topic, m.error()))
        out.append((m.partition(), m.offset(), m.key(), m.value()))
        if m.offset() + 1 >= todo.get(m.partition(), 0):
            todo.pop(m.partition(), None)
    c.close()
    check(not todo, "could not read %s to its end: %r left" % (topic, todo))
    return out


def fold_upsert(records, keyname):
    """An upsert topic's final table: key column value → row dict (tombstones delete)."""
    table = {}
    for _, _, k, v in sorted(records, key=lambda r: (r[0], r[1])):
        key = k[keyname] if isinstance(k, dict) else k
        if v is None:
            table.pop(key, None)
        else:
            table[key] = v
    return table


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


def main(test):
    """Runs test(eddy, workdir); exit status 0 on success."""
    if len(sys.argv) != 2:
        print("usage: %s path/to/eddy" % sys.argv[0], file=sys.stderr)
        sys.exit(2)
    eddy = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="eddy-avro-") as work:
        try:
            test(eddy, work)
        except Failure as f:
            print("FAIL: %s" % f, file=sys.stderr)
            sys.exit(1)
        except Exception:
            traceback.print_exc()
            sys.exit(1)
    step("passed")


def write(work, name, text):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def http(method, url, body=None):
    """A registry request with requests: (status, parsed JSON or text)."""
    import requests
    r = requests.request(method, url, json=body, timeout=10,
                         headers={"Content-Type": "application/vnd.schemaregistry.v1+json"} if body is not None else {})
    try:
        return r.status_code, r.json()
    except ValueError:
        return r.status_code, r.text
