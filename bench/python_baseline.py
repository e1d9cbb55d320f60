#!/usr/bin/python3
"""python_baseline.py — the obvious alternative to eddy's reference job.

    /usr/bin/python3 bench/python_baseline.py BOOTSTRAP TOPIC [EXPECTED]

What a user would write instead of the SQL job: a confluent_kafka consumer
(Debian's python3-confluent-kafka) that assigns every partition of TOPIC from
its low watermark (no consumer group, the same approach as raw_consumer.c and
eddy), reads to the high watermark each partition had at start, json.loads()
every value and keeps a dict of per-region count / sum, from which it derives
ROUND(AVG(amount), 2) at the end.  Consumer settings are the same as the C
consumer's (queued.min.messages=1000000, fetch.wait.max.ms=10).

Prints one line per region (JSON) on stdout, so bench/run.sh can compare them
with eddy's orders_summary, then `records=N secs=S` last.  With EXPECTED,
exits 1 unless exactly that many records were read.
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaException, TopicPartition


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    bootstrap, topic = sys.argv[1], sys.argv[2]
    expected = int(sys.argv[3]) if len(sys.argv) == 4 else None
    t0 = time.monotonic()

    c = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "python_baseline",  # needed by assign(); never joined
        "enable.auto.commit": False,
        "enable.partition.eof": False,
        "auto.offset.reset": "error",
        "queued.min.messages": 1000000,
        "fetch.wait.max.ms": 10,
    })
    md = c.list_topics(topic, timeout=10)
    if topic not in md.topics or md.topics[topic].error is not None:
        print(f"python_baseline: no such topic {topic}", file=sys.stderr)
        return 1
    parts = sorted(md.topics[topic].partitions)
    end = {}
    tps = []
    total = 0
    for p in parts:
        lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=5)
        total += hi - lo
        if hi > lo:
            end[p] = hi
        tps.append(TopicPartition(topic, p, lo))
    if expected is not None and total != expected:
        print(f"python_baseline: topic {topic} holds {total} records, "
              f"expected {expected}", file=sys.stderr)
        return 1
    c.assign(tps)

    regions = {}  # region -> [count, sum]
    records = 0
    while end:
        for m in c.consume(num_messages=10000, timeout=1.0):
            if m.error():
                raise KafkaException(m.error())
            o = json.loads(m.value())
            r = regions.get(o["region"])
            if r is None:
                regions[o["region"]] = [1, o["amount"]]
            else:
                r[0] += 1
                r[1] += o["amount"]
            records += 1
            p = m.partition()
            if p in end and m.offset() + 1 >= end[p]:
                del end[p]
    secs = time.monotonic() - t0
    c.close()

    for region in sorted(regions):
        n, s = regions[region]
        print(json.dumps({"region": region, "total_orders": n,
                          "total_sales": s,
                          "avg_order_value": round(s / n, 2)}))
    print(f"records={records} secs={secs:.3f}")
    if expected is not None and records != expected:
        print(f"python_baseline: read {records} records, expected {expected}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
