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
  sink_outage      issue 17: the sink's broker down for longer than the job
                   needs to read every order (at least 15 s; before, a
                   checkpoint waited 60 s for the sink, then the job ended
                   with "sink: flush timed out", exit 1).  While it is down
                   the job reads every order, names the sink partitions
                   its records wait for, takes no checkpoint; when it is
                   back the job carries on by itself.
  sink_partition   one sink partition's leader down: the other three
                   partitions get every final count while it is down (a
                   checkpoint waits, the job does not); the notice and
                   /jobs name user_stats/2.
  dead_letter      issue 17: dead-letter copies exactly once across kill -9.
                   A job skipping malformed records into events_dlq is
                   killed after copying them, before a checkpoint counted
                   the records; the restart reads them again and must not
                   copy them twice (each source topic/partition/offset once
                   in events_dlq, by its eddy.error.* headers).
  sink_timeout     'properties.message.timeout.ms' = '2000' (a finite
                   delivery timeout, which eddy's default has not): the
                   outage fails the job, before any checkpoint counts the
                   records that timed out; restarted after the outage, it
                   ends exact.

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
import os
import re
import time

from eddyharness import (Broker, Failure, Job, Rec, check, check_table, finish, fold_upsert, main, produce, quiet,
                         read_topic, start_gen_orders, step, ukey, wait_for)
from eddytest import Sections, start_job
from test_monitor import http, metric, scrape

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


# --------------------------------------------------------------------------
# the sink unavailable: all of it, one partition, with a finite timeout

SMALL = 20000        # orders in the outage tests
SMALL_RATE = 5000


def read_partitions(bootstrap, topic, parts, timeout=20):
    """Every record of the given partitions of topic (up to their high
    watermarks now), reading only those: another partition's leader may be
    down."""
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "eddy-test-reader", "enable.auto.commit": False,
                  "fetch.wait.max.ms": 10})
    try:
        need = {}
        for p in parts:
            lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False)
            if hi > lo:
                need[p] = (lo, hi)
        if not need:
            return []
        c.assign([TopicPartition(topic, p, lo) for p, (lo, hi) in need.items()])
        got, pos = [], {p: lo for p, (lo, hi) in need.items()}
        deadline = time.monotonic() + timeout
        while any(pos[p] < need[p][1] for p in need):
            check(time.monotonic() < deadline, "reading %s partitions %s: stuck at %s" % (topic, parts, pos))
            for m in c.consume(1000, 0.1):
                if m.error() is not None or m.partition() not in need or m.offset() >= need[m.partition()][1]:
                    continue
                got.append(m)
                pos[m.partition()] = m.offset() + 1
        from eddyharness import Msg
        return [Msg(m.partition(), m.offset(), m.key(), m.value(), list(m.headers() or []), m.timestamp()[1])
                for m in sorted(got, key=lambda m: (m.partition(), m.offset()))]
    finally:
        c.close()


def http_base(job):
    """The job's --http address, once it has printed it."""
    def have_url():
        m = re.search(r"serving (http://127\.0\.0\.1:[0-9]+/)", job.stderr())
        return m and m.group(1)
    return wait_for("the job to print its HTTP address", have_url, timeout=20, job=job)


def finish_exact(b, job, expected, total, restarted=False):
    """Waits until the sink counts every order, stops the job (exit 0) and
    checks the sink topic: never backwards (unless restarted: a restart's
    replay rewrites keys with the values of its checkpoint, older than what
    the failed run wrote after it), the final table exact."""
    try:
        wait_for("user_stats to count every order", lambda: total_orders(b.bootstrap) == total, timeout=40,
                 job=job, interval=0.5)
    except Failure as e:
        step("%s (the checks below say why)" % e)
    rc, err = job.term(timeout=40)
    check(rc == 0, "%s exited with %s after SIGTERM, expected 0:\n%s" % (job.name, rc, err[-3000:]))
    msgs = read_topic(b.bootstrap, "user_stats")
    with Sections() as sec:
        if not restarted:
            with sec("no update goes backwards"):
                check_never_backwards(msgs)
        with sec("final table"):
            check_table("user_stats", fold_upsert(msgs), expected)


def stream_small(eddy, b, workdir):
    """SMALL orders into orders_raw at SMALL_RATE; returns the expected
    table and count once they are all there."""
    global ORDERS
    gen = start_gen_orders(eddy, b.bootstrap, "orders_raw", SMALL, workdir, seed=11, rate=SMALL_RATE)
    finish(gen, "eddy gen orders", timeout=60)
    ORDERS, saved = SMALL, ORDERS
    try:
        return expected_table(read_topic(b.bootstrap, "orders_raw"))
    finally:
        ORDERS = saved


def test_sink_outage(eddy, workdir):
    """Broker 1 leads every sink partition, broker 2 the orders.  Broker 1
    goes down before the orders come and stays down until the job has read
    them all (at least 15 s): the job must go on reading, say which sink
    partitions wait, take no checkpoint, and carry on when broker 1 is back."""
    with Broker(eddy, workdir, TOPICS, brokers=2, control=True) as b:
        for p in range(TOPICS["orders_raw"]):
            b.fault("leader orders_raw %d 2" % p)
        for p in range(TOPICS["user_stats"]):
            b.fault("leader user_stats %d 1" % p)
        path = os.path.join(workdir, "user_stats.sql")
        with open(path, "w") as f:
            f.write(SQL.format(props=""))
        job = Job(eddy, b.bootstrap, path, workdir, "user_stats", extra=["--http", "127.0.0.1:0"])
        try:
            base = http_base(job)
            wait_for("the job to take a checkpoint", lambda: metric(scrape(base), "eddy_job_checkpoints_total") >= 1,
                     timeout=20, job=job, interval=0.2)
            b.fault("down 1")
            t0 = time.monotonic()
            step("broker 1 (the sink's) down")
            expected, total = stream_small(eddy, b, workdir)
            ckpts = metric(scrape(base), "eddy_job_checkpoints_total")
            wait_for("the job to read every order while the sink is down",
                     lambda: metric(scrape(base), "eddy_job_records_in_total") >= total, timeout=30, job=job, interval=0.3)
            step("the job read all %d orders %.1f s into the outage" % (total, time.monotonic() - t0))
            said = wait_for("the job to name the sink partitions it waits for",
                            lambda: re.search(r"the sink has [0-9]+ records? not acknowledged after [0-9]+ s, waiting in "
                                              r"(user_stats/[0-9] \([0-9]+ records?, leader broker 1 not connected\)(, )?){4}",
                                              job.stderr()), timeout=20, job=job, interval=0.3)
            step("said: %s" % said.group(0))
            while time.monotonic() - t0 < 15:
                job.check_alive()
                time.sleep(0.5)
            check(metric(scrape(base), "eddy_job_checkpoints_total") == ckpts,
                  "a checkpoint was committed while the sink could not acknowledge")
            b.fault("up 1")
            step("broker 1 up after %.1f s" % (time.monotonic() - t0))
            wait_for("the job to say the sink acknowledges again", lambda: "the sink acknowledges again" in job.stderr(),
                     timeout=30, job=job, interval=0.3)
            wait_for("a checkpoint after the outage", lambda: metric(scrape(base), "eddy_job_checkpoints_total") > ckpts,
                     timeout=30, job=job, interval=0.3)
            finish_exact(b, job, expected, total)
        finally:
            job.kill()
        b.check_alive()


def test_sink_partition(eddy, workdir):
    """Broker 1 leads orders_raw and user_stats partitions 0, 1 and 3;
    broker 2 leads user_stats partition 2 and is down while the orders
    stream.  Partitions 0, 1 and 3 must get their final counts while it is
    down; the job names user_stats/2 and nothing else as waiting."""
    with Broker(eddy, workdir, TOPICS, brokers=2, control=True) as b:
        for p in range(TOPICS["orders_raw"]):
            b.fault("leader orders_raw %d 1" % p)
        for p in range(TOPICS["user_stats"]):
            b.fault("leader user_stats %d %d" % (p, 2 if p == 2 else 1))
        path = os.path.join(workdir, "user_stats.sql")
        with open(path, "w") as f:
            f.write(SQL.format(props=""))
        job = Job(eddy, b.bootstrap, path, workdir, "user_stats", extra=["--http", "127.0.0.1:0"])
        try:
            base = http_base(job)
            wait_for("the job to take a checkpoint", lambda: metric(scrape(base), "eddy_job_checkpoints_total") >= 1,
                     timeout=20, job=job, interval=0.2)
            b.fault("down 2")
            t0 = time.monotonic()
            step("broker 2 (user_stats/2's leader) down")
            expected, total = stream_small(eddy, b, workdir)
            live = [0, 1, 3]

            def others_final():
                got = fold_upsert(read_partitions(b.bootstrap, "user_stats", live))
                check(got, "nothing in user_stats partitions %s yet" % live)
                n = sum(r["orders"] for r in got.values())
                for k, row in got.items():
                    check(row == expected[k], "user_stats key %s is %s in partitions %s, expected %s" % (k, row, live, expected[k]))
                return got, n
            got, n = wait_for("user_stats partitions 0, 1 and 3 to hold their final counts while partition 2 waits",
                              others_final, timeout=40, job=job, interval=0.5)
            step("partitions %s: %d users, %d of %d orders, final, %.1f s into the outage" % (live, len(got), n, total,
                                                                                               time.monotonic() - t0))
            said = wait_for("the job to name user_stats/2",
                            lambda: re.search(r"the sink has [0-9]+ records? not acknowledged after [0-9]+ s, waiting in "
                                              r"user_stats/2 \([0-9]+ records?, leader broker 2 not connected\);", job.stderr()),
                            timeout=20, job=job, interval=0.3)
            step("said: %s" % said.group(0))
            def jobs_waiting():
                status, body = http(base + "jobs")
                check(status == 200, "/jobs answered %d" % status)
                waiting = [j.get("sink_waiting") for j in json.loads(body)["jobs"]]
                check(any(w and w.startswith("user_stats/2 (") for w in waiting), "/jobs says sink_waiting %s" % waiting)
                return waiting
            step("/jobs: sink_waiting %s" % wait_for("/jobs to name user_stats/2", jobs_waiting, timeout=15, job=job, interval=0.3))
            b.fault("up 2")
            step("broker 2 up after %.1f s" % (time.monotonic() - t0))
            finish_exact(b, job, expected, total)
            # the final read: the keys of partitions 0, 1 and 3 are those seen during the outage
            final = read_topic(b.bootstrap, "user_stats")
            keys = set(fold_upsert([m for m in final if m.partition in live]))
            check(keys == set(got), "partitions %s hold %d keys at the end, %d were final during the outage"
                  % (live, len(keys), len(got)))
        finally:
            job.kill()
        b.check_alive()


def test_sink_timeout(eddy, workdir):
    """With a finite 'properties.message.timeout.ms' (2 s) on the sink, a
    6 s outage of its broker fails deliveries: the job must fail (exit 1,
    saying so) without a checkpoint counting them, and a restart after the
    outage must end exact."""
    props = ", 'properties.message.timeout.ms' = '2000'"
    with Broker(eddy, workdir, TOPICS, brokers=2, control=True) as b:
        for p in range(TOPICS["orders_raw"]):
            b.fault("leader orders_raw %d 2" % p)
        for p in range(TOPICS["user_stats"]):
            b.fault("leader user_stats %d 1" % p)
        path = os.path.join(workdir, "user_stats.sql")
        with open(path, "w") as f:
            f.write(SQL.format(props=props))
        state = os.path.join(workdir, "user_stats.db")   # both runs: the restart resumes from its checkpoint
        job = Job(eddy, b.bootstrap, path, workdir, "user_stats", state=state)
        try:
            gen = start_gen_orders(eddy, b.bootstrap, "orders_raw", SMALL, workdir, seed=13, rate=SMALL_RATE)
            # (a checkpoint is taken meanwhile: the restart resumes from it)
            wait_for("the sink to count 5000 orders", lambda: total_orders(b.bootstrap) >= 5000, timeout=30, job=job,
                     interval=0.3)
            b.fault("down 1")
            step("broker 1 (the sink's) down")
            rc = job.wait(30)
            check(rc == 1, "the job %s, expected exit 1 when deliveries time out" % ("still runs" if rc is None else "exited %s" % rc))
            err = job.stderr()
            check(re.search(r"sink( 'user_stats')?: delivery to topic 'user_stats' partition [0-9] failed: Local: Message timed out", err),
                  "no delivery failure said:\n%s" % err[-2000:])
            step("the job failed: %s" % err.strip().splitlines()[-1][:300])
            b.fault("up 1")
            finish(gen, "eddy gen orders", timeout=60)
        finally:
            job.kill()
        global ORDERS
        ORDERS, saved = SMALL, ORDERS
        try:
            expected, total = expected_table(read_topic(b.bootstrap, "orders_raw"))
        finally:
            ORDERS = saved
        job = Job(eddy, b.bootstrap, path, workdir, "user_stats", state=state)
        try:
            wait_for("the restarted job to resume from its checkpoint", lambda: "resumes from" in job.stderr(), timeout=20, job=job)
            finish_exact(b, job, expected, total, restarted=True)
        finally:
            job.kill()
        b.check_alive()


DLQ_SQL = """
SET 'execution.checkpointing.interval' = '1 h';

CREATE TABLE events (
  id BIGINT, user_id BIGINT, amount DOUBLE
) WITH ('scan.startup.mode' = 'earliest-offset', 'error.mode' = 'skip', 'error.dead-letter-topic' = 'events_dlq');

CREATE TABLE user_counts (
  user_id BIGINT PRIMARY KEY NOT ENFORCED,
  n       BIGINT
) WITH ('changelog.mode' = 'upsert');

INSERT INTO user_counts SELECT user_id, COUNT(*) AS n FROM events GROUP BY user_id;
"""


def events(first, n):
    """n records from id first: every 20th malformed (not JSON)."""
    return [Rec(key={"id": i}, value=b"not json %d" % i if i % 20 == 0 else {"id": i, "user_id": i % 37, "amount": 1.5})
            for i in range(first, first + n)]


def dead_letter_copies(bootstrap):
    """[(source topic, partition, offset)] of the copies in events_dlq, from their headers."""
    out = []
    for m in read_topic(bootstrap, "events_dlq"):
        h = {k: v.decode() for k, v in m.headers}
        check(h.get("eddy.error.job") == "user_counts", "a copy without this job's eddy.error.job header: %s" % h)
        out.append((h["eddy.error.topic"], int(h["eddy.error.partition"]), int(h["eddy.error.offset"])))
    return out


def test_dead_letter(eddy, workdir):
    """Checkpoints only at start and stop (an interval of an hour): a kill -9
    after the malformed records were copied leaves a checkpoint before
    them, so the restart reads them all again.  Each must be in events_dlq
    once, before and after more records and a clean stop."""
    with Broker(eddy, workdir, {"events": 4, "events_dlq": 2, "user_counts": 4}) as b:
        path = os.path.join(workdir, "user_counts.sql")
        with open(path, "w") as f:
            f.write(DLQ_SQL)
        state = os.path.join(workdir, "user_counts.db")
        bad = set()
        good = collections.Counter()

        def sent(recs):
            produce(b.bootstrap, "events", recs)
            for r in recs:
                if isinstance(r.value, bytes):
                    bad.add(r.key["id"])
                else:
                    good[r.value["user_id"]] += 1

        def copies_exact():
            got = dead_letter_copies(b.bootstrap)
            check(len(got) == len(set(got)), "%d copies in events_dlq, %d distinct records: copied twice: %s"
                  % (len(got), len(set(got)), sorted(k for k, n in collections.Counter(got).items() if n > 1)[:10]))
            check(len(got) == len(bad), "%d copies in events_dlq, %d malformed records sent" % (len(got), len(bad)))
            return got

        def counts_exact():
            with quiet():
                check_table("user_counts", fold_upsert(read_topic(b.bootstrap, "user_counts")),
                            {ukey(user_id=u): {"user_id": u, "n": n} for u, n in good.items()})
            return True

        job = Job(eddy, b.bootstrap, path, workdir, "user_counts", state=state)
        try:
            wait_for("the job to start", lambda: "started job" in job.stderr(), timeout=20, job=job)
            sent(events(1, 2000))
            wait_for("every malformed record copied once", copies_exact, timeout=30, job=job, interval=0.3)
            wait_for("user_counts to count every good record", counts_exact, timeout=30, job=job, interval=0.3)
            step("%d copies in events_dlq; kill -9" % len(bad))
            job.kill()
        finally:
            job.kill()
        job = Job(eddy, b.bootstrap, path, workdir, "user_counts", state=state)
        try:
            wait_for("the restart to say it resumes", lambda: "resumes from" in job.stderr(), timeout=20, job=job)
            sent(events(2001, 1000))
            wait_for("user_counts to count every good record after the restart", counts_exact, timeout=30, job=job,
                     interval=0.3)
            said = wait_for("the restart to say it found the copies",
                            lambda: re.search(r"([0-9]+) dead-letter copies of records read again after the restart were already "
                                              r"written: not copied twice", job.stderr()), timeout=10, job=job)
            check(int(said.group(1)) == 100, "the restart found %s copies, expected the first run's 100" % said.group(1))
            got = wait_for("every malformed record copied once after the restart", copies_exact, timeout=30, job=job,
                           interval=0.3)
            rc, err = job.term()
            check(rc == 0, "%s exited with %s after SIGTERM:\n%s" % (job.name, rc, err[-2000:]))
        finally:
            job.kill()
        copies_exact()
        offsets = {}
        for m in read_topic(b.bootstrap, "events"):
            if isinstance(json_or_none(m.value), dict):
                continue
            offsets[("events", m.partition, m.offset)] = True
        check(set(got) == set(offsets), "the copies' headers name %d source records, %d malformed ones are in events"
              % (len(set(got)), len(offsets)))
        step("%d malformed records, each copied once, named by topic/partition/offset" % len(bad))


def json_or_none(data):
    try:
        return json.loads(data)
    except ValueError:
        return None


if __name__ == "__main__":
    main({"produce": test_produce, "produce_noidem": test_produce_noidem, "broker": test_broker,
          "sink_outage": test_sink_outage, "sink_partition": test_sink_partition, "sink_timeout": test_sink_timeout,
          "dead_letter": test_dead_letter})
