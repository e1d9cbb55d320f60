"""e2e/faults — the final table is exact while the broker misbehaves.

`eddy broker --control` injects faults (eddyharness.Broker.fault) while
`eddy gen orders` streams 60,000 orders (~10 s) into orders_raw and an
unbounded job runs

    INSERT INTO user_stats
    SELECT user_id, COUNT(*) AS orders, SUM(amount) AS sales
    FROM orders_raw GROUP BY user_id

into an upsert topic.  Three tests (ctest e2e/faults_<name>):

  produce          issue 17: every 0.5 s the next 20 Produce requests fail
                   with REQUEST_TIMED_OUT, and the broker leading the sink's
                   partitions answers 500 ms late, from the first order to 3 s
                   after the last.  Clients retry.  A producer that keeps
                   several requests in flight and is not idempotent lands a
                   retried batch after a later one, and a key's older count
                   overwrites its newer one: without eddy's ordering
                   (enable.idempotence unset, a million requests in flight)
                   this test saw hundreds of updates go backwards and users
                   end with stale counts.
  produce_noidem   the same with the sink's 'properties.enable.idempotence'
                   = 'false': eddy then keeps one request in flight.
  broker           three brokers: added latency, Fetch errors, one broker
                   down for 3 s and up again, Metadata connections dropped.

Each then waits until the sink counts every order orders_raw holds, stops
the job with SIGTERM (exit 0) and checks, from the sink topic read to its
end:
  * no key's successive updates go backwards: COUNT(*) per user only grows
    in the order the updates were stored (a key always lands on one
    partition, so its updates' offsets are their order);
  * the final table equals what Python computes from the orders that
    orders_raw holds (every order produced, none lost): per user the count
    and math.fsum of the amounts (the correctly rounded sum eddy documents
    for SUM(DOUBLE)), exactly.
"""
import collections
import json
import math
import time

from eddyharness import (Broker, Failure, check, check_table, finish, fold_upsert, main, quiet, read_topic,
                         start_gen_orders, step, ukey, wait_for)
from eddytest import Sections, start_job

ORDERS = 60000
RATE = 6000          # orders a second: the stream lasts ~10 s, all of it under faults

SQL = """
CREATE TABLE orders_raw (
  order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING
) WITH ('scan.startup.mode' = 'earliest-offset');

CREATE TABLE user_stats (
  user_id BIGINT PRIMARY KEY NOT ENFORCED,
  orders  BIGINT,
  sales   DOUBLE
) WITH ('changelog.mode' = 'upsert'{props});

INSERT INTO user_stats
SELECT user_id, COUNT(*) AS orders, SUM(amount) AS sales
FROM orders_raw
GROUP BY user_id;
"""


def expected_table(msgs):
    """{ukey(user_id): row} from the orders orders_raw holds, and how many
    it holds.  Every order produced must be there; one may be there twice
    (a request retried after a broker dropped the connection: the
    development broker does not deduplicate an idempotent producer's
    retries, a real one does), and then counts twice."""
    ids = collections.Counter()
    amounts = collections.defaultdict(list)
    for m in msgs:
        o = json.loads(m.value)
        ids[o["order_id"]] += 1
        amounts[o["user_id"]].append(o["amount"])
    missing = sorted(set(range(1, ORDERS + 1)) - set(ids))
    check(not missing, "%d orders produced are not in orders_raw: %s" % (len(missing), missing[:20]))
    step("orders_raw: %d records, %d orders twice" % (len(msgs), sum(1 for n in ids.values() if n > 1)))
    table = {ukey(user_id=u): {"user_id": u, "orders": len(a), "sales": math.fsum(a)} for u, a in amounts.items()}
    return table, len(msgs)


def check_never_backwards(msgs):
    """Each key's COUNT only grows from one stored update to the next."""
    last, backwards = {}, []
    for m in msgs:
        if m.value is None:
            backwards.append("tombstone for %s at partition %d offset %d" % (m.key, m.partition, m.offset))
            continue
        n = json.loads(m.value)["orders"]
        prev = last.get(m.key)
        if prev is not None and n < prev[0]:
            backwards.append("%s: orders %d at partition %d offset %d after %d at offset %d"
                             % (m.key.decode(), n, m.partition, m.offset, prev[0], prev[1]))
        last[m.key] = (n, m.offset)
    if backwards:
        raise Failure("%d updates in user_stats went backwards (retried produce requests reordered):\n  %s"
                      % (len(backwards), "\n  ".join(backwards[:20])))
    step("user_stats: %d updates of %d keys, none backwards" % (len(msgs), len(last)))


def total_orders(bootstrap):
    with quiet():
        return sum(r["orders"] for r in fold_upsert(read_topic(bootstrap, "user_stats")).values())


def run_under_faults(eddy, workdir, b, faults, leaders=(), sink_props=""):
    """Makes each (topic, broker) in leaders the leader of all the topic's
    partitions, then runs the job (sink_props: more WITH options of the
    sink) while the orders stream in and faults(b) injects faults,
    returning when they are over; then waits for every order to show in
    the sink, stops the job and checks the sink."""
    for topic, broker in leaders:
        for p in range(b.topics[topic]):
            b.fault("leader %s %d %d" % (topic, p, broker))
    job = start_job(eddy, b.bootstrap, SQL.format(props=sink_props), workdir, "user_stats")
    try:
        gen = start_gen_orders(eddy, b.bootstrap, "orders_raw", ORDERS, workdir, seed=7, rate=RATE)
        t0 = time.monotonic()
        faults(b)
        step("faults over after %.1f s" % (time.monotonic() - t0))
        finish(gen, "eddy gen orders", timeout=60)
        step("%d orders produced" % ORDERS)
        expected, total = expected_table(read_topic(b.bootstrap, "orders_raw"))
        try:
            wait_for("user_stats to count every order", lambda: total_orders(b.bootstrap) == total, timeout=20,
                     job=job, interval=0.5)
        except Failure as e:
            step("%s (the checks below say why)" % e)
        rc, err = job.term()
        check(rc == 0, "%s exited with %s after SIGTERM, expected 0:\n%s" % (job.name, rc, err[-3000:]))
    finally:
        job.kill()
    b.check_alive()
    msgs = read_topic(b.bootstrap, "user_stats")
    with Sections() as sec:
        with sec("no update goes backwards"):
            check_never_backwards(msgs)
        with sec("final table"):
            check_table("user_stats", fold_upsert(msgs), expected)


def produce_faults(b):
    """Issue 17's fault: every 0.5 s the next 20 Produce requests (of any
    client) fail with REQUEST_TIMED_OUT, and broker 1, the sink's, answers
    500 ms late, until 3 s after the stream's end.  The orders are on
    broker 2, so the job keeps up with the stream and every key's last
    update is sent under the faults too; and its sink then has several
    requests to the slow broker in flight, which is when a retried one can
    land after a later one.  (With every broker slow, the job's fetches
    crawl — the mock returns one batch per partition per fetch — and its
    last updates come only after the faults.)"""
    b.fault("rtt 1 500")
    end = time.monotonic() + ORDERS / RATE + 3
    while time.monotonic() < end:
        b.fault("produce-errors 20 REQUEST_TIMED_OUT")
        time.sleep(0.5)
    b.fault("clear-errors Produce")
    b.fault("rtt 1 0")


def broker_faults(b):
    """Latency, Fetch errors, a broker down for 3 s and up again, dropped
    Metadata connections, while the orders stream in (~10 s)."""
    b.fault("rtt all 200")
    time.sleep(1)
    b.fault("fetch-errors 20 NOT_LEADER_FOR_PARTITION")
    time.sleep(1)
    b.fault("down 2")
    time.sleep(3)
    b.fault("up 2")
    time.sleep(1)
    b.fault("fetch-errors 10 REQUEST_TIMED_OUT")
    b.fault("request-errors Metadata 2 _TRANSPORT")
    b.fault("rtt 1 400")
    time.sleep(2)
    b.fault("rtt all 0")
    b.fault("clear-errors Fetch")
    b.fault("clear-errors Metadata")


TOPICS = {"orders_raw": 8, "user_stats": 4}


def test_produce(eddy, workdir):
    with Broker(eddy, workdir, TOPICS, brokers=2, control=True) as b:
        run_under_faults(eddy, workdir, b, produce_faults, leaders=[("orders_raw", 2), ("user_stats", 1)])


def test_produce_noidem(eddy, workdir):
    with Broker(eddy, workdir, TOPICS, brokers=2, control=True) as b:
        run_under_faults(eddy, workdir, b, produce_faults, leaders=[("orders_raw", 2), ("user_stats", 1)],
                         sink_props=", 'properties.enable.idempotence' = 'false'")


def test_broker(eddy, workdir):
    with Broker(eddy, workdir, TOPICS, brokers=3, control=True) as b:
        run_under_faults(eddy, workdir, b, broker_faults)


if __name__ == "__main__":
    main({"produce": test_produce, "produce_noidem": test_produce_noidem, "broker": test_broker})
