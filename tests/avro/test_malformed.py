"""avro/malformed — bad Avro records in Kafka, per DESIGN.md's bad-input
rules.  Each malformed case (wrong magic byte, JSON instead of Avro, a
record too short for the framing, an unknown schema id, a truncated body,
bytes left over, a writer schema that does not resolve against the
table) sits between good records in a topic of its own: with the default
error.mode the job fails naming topic, partition, offset and the reason;
then all of them in one topic with 'error.mode' = 'skip': the job
finishes, counts every one, copies them to the dead-letter topic, and the
result is that of the good records alone."""

import math
import struct

from avrotest import avro_producer, avro_table, http, read_avro, run_job
from eddyharness import Broker, Rec, check, main, produce, read_topic, step, write_file

SCHEMA = """{"type": "record", "name": "Order", "namespace": "shop", "fields": [
  {"name": "order_id", "type": "long"}, {"name": "amount", "type": "double"}, {"name": "region", "type": "string"}]}"""
ODD = """{"type": "record", "name": "Odd", "fields": [{"name": "region", "type": "long"}]}"""


def zz(n):
    """An Avro long."""
    z = (n << 1) ^ (n >> 63)
    out = bytearray()
    while z >= 0x80:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


def body(order_id, amount, region):
    r = region.encode()
    return zz(order_id) + struct.pack("<d", amount) + zz(len(r)) + r


def framed(sid, b):
    return b"\x00" + struct.pack(">I", sid) + b


SQL = """
CREATE TABLE {src} (order_id BIGINT, amount DOUBLE, region STRING) WITH ('format' = 'avro-confluent'{opts});
CREATE TABLE {dst} (region STRING PRIMARY KEY NOT ENFORCED, n BIGINT, total DOUBLE) WITH ('format' = 'avro-confluent');
INSERT INTO {dst} SELECT region, COUNT(*), SUM(amount) FROM {src} GROUP BY region;
"""


def test(eddy, work):
    cases = ["magic", "json", "short", "unknown_id", "truncated", "leftover", "unresolvable"]
    topics = {"bad_" + c: 1 for c in cases}
    topics.update({"all_bad": 1, "dead": 1, "out_skip": 1})
    with Broker(eddy, work, topics) as b:
        # register the good schema (and the odd one) the way a client would
        p = avro_producer(b, None, SCHEMA)
        p.produce(topic="all_bad", value={"order_id": 0, "amount": 1.0, "region": "eu"})
        p.flush(30)
        p2 = avro_producer(b, None, ODD)
        p2.produce(topic="odd", value={"region": 5})
        p2.flush(30)
        del p, p2
        _, good_v = http("GET", b.registry + "/subjects/all_bad-value/versions/latest")
        _, odd_v = http("GET", b.registry + "/subjects/odd-value/versions/latest")
        gid, oid = good_v["id"], odd_v["id"]
        good = framed(gid, body(1, 2.5, "eu"))
        bad = {
            "magic": (b"\x01" + good[1:], "first byte is 0x01, not the magic byte 0 of the Confluent wire format"),
            "json": (b'{"order_id": 1, "amount": 2.5, "region": "eu"}', "(the record looks like JSON)"),
            "short": (b"\x00\x00\x01", "3 bytes are too few for the Confluent wire format"),
            "unknown_id": (framed(4242, body(1, 2.5, "eu")), "unknown schema id 4242"),
            "truncated": (good[:-1], "truncated Avro record: field 'region'"),
            "leftover": (good + b"\x00", "1 bytes left over after the Avro record"),
            "unresolvable": (framed(oid, zz(5)), "field 'region': Avro long cannot be read into a STRING column"),
        }
        for c in cases:
            produce(b.bootstrap, "bad_" + c, [Rec(None, good, partition=0), Rec(None, bad[c][0], partition=0),
                                              Rec(None, good, partition=0)])
            sql = write_file(work, c + ".sql", SQL.format(src="bad_" + c, dst="out_" + c, opts=""))
            err = run_job(eddy, b, sql, expect=1).err
            want = "malformed record in topic 'bad_%s' partition 0 offset 1: " % c
            check(want in err and bad[c][1] in err, "%s: expected %r and %r in:\n%s" % (c, want, bad[c][1], err))
            check("'error.mode' = 'skip'" in err, "%s: the message does not say how to skip:\n%s" % (c, err))
        step("error.mode 'fail': each of %d cases fails the job naming topic, partition, offset and reason" % len(cases))

        recs = []
        want_total = 1.0   # the record the producer wrote first
        for i, c in enumerate(cases):
            recs.append(Rec(None, framed(gid, body(10 + i, 1.25 * (i + 1), "eu")), partition=0))
            want_total += 1.25 * (i + 1)
            recs.append(Rec(None, bad[c][0], partition=0))
        produce(b.bootstrap, "all_bad", recs)
        sql = write_file(work, "skip.sql", SQL.format(src="all_bad", dst="out_skip",
                                                       opts=", 'error.mode' = 'skip', 'error.dead-letter-topic' = 'dead'"))
        err = run_job(eddy, b, sql).err
        check("%d malformed skipped" % len(cases) in err, "skip: the count is wrong:\n%s" % err)
        got = avro_table(read_avro(b, "out_skip"), "region")
        check(got["eu"]["n"] == len(cases) + 1 and math.isclose(got["eu"]["total"], want_total), "skip: result %r" % (got,))
        dead = read_topic(b.bootstrap, "dead")
        check(sorted(m.value for m in dead) == sorted(bad[c][0] for c in cases), "the dead-letter topic holds %r" % (dead,))
        step("error.mode 'skip': %d skipped and counted, copied to the dead-letter topic, the result is the good records'" % len(cases))


main(test)
