"""e2e/monitor — what a running job tells its operators (`eddy run --http`).

  metrics   A per-region GROUP BY job with 'error.mode' = 'skip' and a
            dead-letter topic runs unbounded with `--http 127.0.0.1:0`
            (the URL is read from its stderr) while good and malformed
            orders arrive.  Scraping /metrics during the run: records in,
            skipped, dead-lettered, per-partition records and bytes match
            what was produced, consumer lag falls to 0, checkpoints count
            up, the end-to-end latency histogram has every record;
            /healthz is 200.  Then the broker goes down (`eddy broker
            --control`: "down 1"): the job says so on stderr at once,
            /healthz turns 503 naming the broker, eddy_job_broker_up is 0;
            the broker comes back ("up 1"): /healthz is 200 again and more
            orders are processed — the final per-region table equals what
            Python computes from every order produced (nothing lost, nothing
            counted twice).  The dead-letter records carry the eddy.error.*
            headers (reason, source topic, partition and offset, job, time);
            the consumer group named after the job has the job's offsets
            committed; /jobs agrees with /metrics; bad requests (unknown
            path, POST, a 100 kB header, garbage) get 4xx and the server
            lives on.
  failfast  `eddy run --bootstrap 127.0.0.1:1` fails within a few seconds
            with "cannot reach 127.0.0.1:1: connection refused".
  sink_retries  The orders are in orders_raw before the job starts; the
            broker is told to fail the next 6 Produce requests (the job's
            sink is then the only producer) with REQUEST_TIMED_OUT.  The
            producer retries: eddy_job_sink_records_retried_total counts at
            least one record per failed request, /jobs says the same, and the
            table is still exact.  (SHOW JOB's text: repl/monitor.)
"""
import json
import math
import os
import re
import socket
import time
import urllib.error
import urllib.request

from eddyharness import (Broker, Failure, Rec, check, check_table, fold_upsert, main, produce, read_topic, run, step,
                         ukey, wait_for, write_file)
from eddytest import Sections, start_job

SQL = """
CREATE TABLE orders_raw (
  order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING
) WITH ('scan.startup.mode' = 'earliest-offset', 'error.mode' = 'skip',
        'error.dead-letter-topic' = 'orders_dlq');

CREATE TABLE orders_by_region (
  region STRING PRIMARY KEY NOT ENFORCED,
  n      BIGINT,
  total  DOUBLE
) WITH ('changelog.mode' = 'upsert');

SET 'execution.checkpointing.interval' = '500ms';

INSERT INTO orders_by_region
SELECT region, COUNT(*) AS n, SUM(amount) AS total FROM orders_raw GROUP BY region;
"""

REGIONS = ["eu", "us", "apac", "latam"]
BAD = [b'{"order_id": 1, "amount": ', b"not json", b'[1, 2]']


def orders(first, n):
    return [Rec(key={"order_id": i}, value={"order_id": i, "user_id": i % 97, "amount": round(1 + (i * 7919 % 1000) / 10, 2),
                                             "region": REGIONS[i % len(REGIONS)]}) for i in range(first, first + n)]


def http(url, method="GET"):
    """(status, body text) of a request."""
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


SAMPLE = re.compile(r'^([a-z_:][a-z0-9_:]*)(\{[^}]*\})? (\S+)$')


def scrape(base):
    """{(name, frozenset(labels)): value} of /metrics, checking the format."""
    status, text = http(base + "metrics")
    check(status == 200, "/metrics answered %d" % status)
    out, typed = {}, set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        if line.startswith("#") or not line:
            continue
        m = SAMPLE.match(line)
        check(m, "not a Prometheus sample line: %r" % line)
        name, labels, value = m.groups()
        base_name = re.sub(r"_(bucket|sum|count)$", "", name)
        check(name in typed or base_name in typed, "sample %s has no # TYPE line" % name)
        lab = frozenset(re.findall(r'([a-z_]+)="((?:[^"\\]|\\.)*)"', labels or ""))
        out[(name, lab)] = float(value)
    return out


def metric(samples, name, **labels):
    want = set((k, str(v)) for k, v in labels.items())
    vals = [v for (n, lab), v in samples.items() if n == name and want <= lab]
    check(vals, "no sample %s%s in /metrics" % (name, labels))
    return sum(vals)


def expected_table(recs):
    groups = {}
    for r in recs:
        o = r.value
        groups.setdefault(o["region"], []).append(o["amount"])
    return {ukey(region=k): {"region": k, "n": len(a), "total": math.fsum(a)} for k, a in groups.items()}


def raw_request(port, data):
    """Sends bytes on a fresh connection; the status line of the answer ("" if none)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    try:
        got = b""
        try:
            s.sendall(data)
            while b"\r\n" not in got:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
        except (socket.timeout, ConnectionError):   # the server may wait for more, or close on us
            pass
        return got.split(b"\r\n")[0].decode(errors="replace")
    finally:
        s.close()


def test_metrics(eddy, workdir):
    with Broker(eddy, workdir, {"orders_raw": 4, "orders_by_region": 2, "orders_dlq": 2}, control=True) as b:
        first = orders(1, 3000)
        produce(b.bootstrap, "orders_raw", first[:1500])
        bad_at = produce(b.bootstrap, "orders_raw", [Rec(key={"order_id": -i}, value=v, headers=[("trace", "t%d" % i)])
                                                     for i, v in enumerate(BAD)])
        produce(b.bootstrap, "orders_raw", first[1500:])
        path = write_file(workdir, "monitor.sql", SQL)
        from eddyharness import Job
        job = Job(eddy, b.bootstrap, path, workdir, "monitor", extra=["--http", "127.0.0.1:0", "--progress", "--progress-every", "1"])
        try:
            url = [None]

            def have_url():
                m = re.search(r"serving (http://127\.0\.0\.1:[0-9]+/)", job.stderr())
                url[0] = m and m.group(1)
                return url[0]
            wait_for("the job to print its HTTP address", have_url, timeout=10, job=job)
            base = url[0]
            step("monitor at %s" % base)
            total_in = len(first) + len(BAD)

            with Sections() as sec:
                with sec("counters match what was produced; lag falls to 0"):
                    wait_for("records_in = %d and lag 0" % total_in,
                             lambda: (lambda s: metric(s, "eddy_job_records_in_total") == total_in
                                      and metric(s, "eddy_job_consumer_lag_records") == 0)(scrape(base)), timeout=20, job=job, interval=0.3)
                    s = scrape(base)
                    check(metric(s, "eddy_job_records_skipped_total") == len(BAD), "skipped %s, expected %d" % (metric(s, "eddy_job_records_skipped_total"), len(BAD)))
                    check(metric(s, "eddy_job_records_dead_lettered_total") == len(BAD), "dead-lettered is not %d" % len(BAD))
                    check(metric(s, "eddy_source_records_total", topic="orders_raw") == total_in, "per-partition records do not add up")
                    check(metric(s, "eddy_source_consumer_lag_records", topic="orders_raw", partition=0) == 0, "partition 0 lag is not 0")
                    check(metric(s, "eddy_job_up") == 1 and metric(s, "eddy_job_broker_up") == 1, "job or broker not up")
                    check(metric(s, "eddy_operator_rows_in_total", operator="KafkaSource") == total_in, "the source saw other than %d" % total_in)
                    check(metric(s, "eddy_operator_rows_in_total", operator="GroupAggregate") == len(first), "the aggregate saw other than %d rows" % len(first))
                    check(metric(s, "eddy_operator_state_keys", operator="GroupAggregate") == len(REGIONS), "state keys not %d" % len(REGIONS))
                    check(metric(s, "eddy_process_resident_memory_bytes") > 1e6, "no RSS")
                    wait_for("a checkpoint", lambda: metric(scrape(base), "eddy_job_checkpoints_total") >= 1, timeout=10, job=job)
                    # its size: the aggregate's rows (one per region), each a key and a value
                    wait_for("a checkpoint that wrote state rows and their bytes",
                             lambda: (lambda s: metric(s, "eddy_job_checkpoint_rows") >= 1
                                      and metric(s, "eddy_job_checkpoint_bytes") >= 2 * metric(s, "eddy_job_checkpoint_rows"))(scrape(base)),
                             timeout=10, job=job)
                    wait_for("every record's latency observed",
                             lambda: metric(scrape(base), "eddy_job_end_to_end_latency_seconds_count") == total_in - len(BAD)
                             or metric(scrape(base), "eddy_job_end_to_end_latency_seconds_count") == total_in, timeout=10, job=job)
                    s = scrape(base)
                    check(metric(s, "eddy_job_end_to_end_latency_seconds_bucket", le="+Inf")
                          == metric(s, "eddy_job_end_to_end_latency_seconds_count"), "+Inf bucket != count")
                    status, body = http(base + "healthz")
                    check(status == 200, "/healthz %d: %s" % (status, body))
                    status, body = http(base + "jobs")
                    jobs = json.loads(body)["jobs"]
                    check(len(jobs) == 1 and jobs[0]["name"] == "orders_by_region" and jobs[0]["state"] == "RUNNING", "/jobs: %s" % body[:300])
                    check(jobs[0]["records_in"] == total_in and jobs[0]["skipped"] == len(BAD), "/jobs disagrees with /metrics")
                    check([o["name"] for o in jobs[0]["operators"]][0] == "KafkaSource", "/jobs operators: %s" % jobs[0]["operators"])
                    step("%d records in, %d skipped and dead-lettered, lag 0, health 200" % (total_in, len(BAD)))

                with sec("README's metric names are the ones /metrics has"):
                    readme = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md")).read()
                    part = readme[readme.index("## Monitoring eddy"):]
                    part = part[:part.index("\n## ", 5)]
                    table = "\n".join(l for l in part.splitlines() if l.startswith("| `eddy_"))   # the metrics table's rows
                    documented = set(re.findall(r"`(eddy_[a-z_]+)`", table))
                    typed = set(re.findall(r"^# TYPE (\S+) ", http(base + "metrics")[1], re.M))
                    check(typed - documented == set(), "in /metrics, not in README's table: %s" % sorted(typed - documented))
                    check(documented - typed == set(), "in README's table, not in /metrics: %s" % sorted(documented - typed))
                    step("%d metric families, each in README" % len(typed))

                with sec("bad requests get 4xx and the server lives on"):
                    port = int(base.rsplit(":", 1)[1].strip("/"))
                    check(http(base + "nope")[0] == 404, "unknown path not 404")
                    check(http(base + "metrics", "POST")[0] == 405, "POST not 405")
                    check(http(base + "metrics", "DELETE")[0] == 405, "DELETE not 405")
                    line = raw_request(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100000 + b"\r\n\r\n")
                    check(line == "" or re.match(r"HTTP/1\.[01] 4[0-9][0-9]", line), "a 100 kB header got %r" % line)
                    line = raw_request(port, b"\x00\x01garbage\r\n\r\n")
                    check(line == "" or re.match(r"HTTP/1\.[01] 4[0-9][0-9]", line), "garbage got %r" % line)
                    line = raw_request(port, b"GET /../../etc/passwd HTTP/1.0\r\n\r\n")
                    check(re.match(r"HTTP/1\.[01] 404", line), "a path outside got %r" % line)
                    check(http(base + "healthz")[0] == 200, "the server does not answer after bad requests")

                with sec("broker down: /healthz 503, said at once; back up: 200, the job goes on"):
                    b.fault("down 1")
                    t0 = time.monotonic()

                    def health_503():
                        st, body = http(base + "healthz")
                        return st == 503 and "broker unreachable" in body
                    wait_for("/healthz to turn 503", health_503, timeout=15, job=job, interval=0.2)
                    step("/healthz 503 after %.1f s" % (time.monotonic() - t0))
                    check(metric(scrape(base), "eddy_job_broker_up") == 0, "eddy_job_broker_up is not 0 while the broker is down")
                    wait_for("the job to say the cluster does not answer", lambda: "does not answer" in job.stderr(), timeout=5, job=job)
                    time.sleep(2)
                    b.fault("up 1")
                    wait_for("/healthz back to 200", lambda: http(base + "healthz")[0] == 200, timeout=20, job=job, interval=0.3)
                    wait_for("the job to say the cluster answers again", lambda: "answers again" in job.stderr(), timeout=5, job=job)
                    more = orders(5001, 2000)
                    produce(b.bootstrap, "orders_raw", more)
                    total_in += len(more)
                    wait_for("records_in = %d and lag 0 after the broker came back" % total_in,
                             lambda: (lambda s: metric(s, "eddy_job_records_in_total") == total_in
                                      and metric(s, "eddy_job_consumer_lag_records") == 0)(scrape(base)), timeout=30, job=job, interval=0.3)
                    wait_for("the sink to count every order", lambda: sum(r["n"] for r in fold_upsert(read_topic(b.bootstrap, "orders_by_region")).values())
                             == len(first) + len(more), timeout=20, job=job, interval=0.5)
                    check_table("orders_by_region", fold_upsert(read_topic(b.bootstrap, "orders_by_region")), expected_table(first + more))

                with sec("the consumer group named after the job has its offsets"):
                    from confluent_kafka import Consumer, TopicPartition
                    c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "orders_by_region", "enable.auto.commit": False})
                    try:
                        def committed_all():
                            got = c.committed([TopicPartition("orders_raw", p) for p in range(4)], timeout=10)
                            ends = [c.get_watermark_offsets(TopicPartition("orders_raw", p), timeout=10)[1] for p in range(4)]
                            return [t.offset for t in got] == ends
                        wait_for("group orders_by_region's committed offsets to reach the ends", committed_all, timeout=10, job=job, interval=0.5)
                    finally:
                        c.close()

                with sec("progress lines on stderr"):
                    err = job.stderr()
                    check(re.search(r"orders_by_region: [0-9,]+ records/s, [0-9,]+ in, lag [0-9,?]+, ", err),
                          "no progress line in stderr:\n%s" % err[-2000:])

            rc, err = job.term()
            check(rc == 0, "eddy run exited %s:\n%s" % (rc, err[-3000:]))
        finally:
            job.kill()

        with Sections() as sec:
            with sec("dead-letter records carry eddy.error.* headers"):
                dlq = read_topic(b.bootstrap, "orders_dlq")
                check(len(dlq) == len(BAD), "orders_dlq holds %d records, expected %d" % (len(dlq), len(BAD)))
                by_value = {m.value: m for m in dlq}
                for i, v in enumerate(BAD):
                    m = by_value.get(v)
                    check(m is not None, "bad record %r is not in orders_dlq" % v)
                    h = {k: (x.decode() if x is not None else None) for k, x in m.headers}
                    part, off = bad_at[i]
                    for k, want in [("eddy.error.topic", "orders_raw"), ("eddy.error.partition", str(part)),
                                    ("eddy.error.offset", str(off)), ("eddy.error.job", "orders_by_region"),
                                    ("eddy.error.table", "orders_raw"), ("trace", "t%d" % i)]:
                        check(h.get(k) == want, "dead letter %r: header %s is %r, expected %r (headers %s)" % (v, k, h.get(k), want, h))
                    check(h.get("eddy.error.reason"), "no eddy.error.reason")
                    check(re.fullmatch(r"[0-9]{13}", h.get("eddy.error.time") or ""), "eddy.error.time %r is not epoch ms" % h.get("eddy.error.time"))
                step("%d dead letters, each with reason, topic, partition, offset, job and time" % len(dlq))


def monitor_url(job):
    url = [None]

    def have_url():
        m = re.search(r"serving (http://127\.0\.0\.1:[0-9]+/)", job.stderr())
        url[0] = m and m.group(1)
        return url[0]
    wait_for("the job to print its HTTP address", have_url, timeout=10, job=job)
    return url[0]


def test_sink_retries(eddy, workdir):
    failed = 6
    with Broker(eddy, workdir, {"orders_raw": 4, "orders_by_region": 2, "orders_dlq": 2}, control=True) as b:
        recs = orders(1, 2000)
        produce(b.bootstrap, "orders_raw", recs)
        b.fault("produce-errors %d REQUEST_TIMED_OUT" % failed)
        from eddyharness import Job
        job = Job(eddy, b.bootstrap, write_file(workdir, "retries.sql", SQL), workdir, "retries", extra=["--http", "127.0.0.1:0"])
        try:
            base = monitor_url(job)
            wait_for("the sink to count every order", lambda: sum(r["n"] for r in fold_upsert(read_topic(b.bootstrap, "orders_by_region")).values())
                     == len(recs), timeout=30, job=job, interval=0.5)
            # the producer's statistics come once a second
            wait_for("eddy_job_sink_records_retried_total >= %d" % failed,
                     lambda: metric(scrape(base), "eddy_job_sink_records_retried_total") >= failed, timeout=10, job=job, interval=0.3)
            s = scrape(base)
            retried = metric(s, "eddy_job_sink_records_retried_total")
            check(metric(s, "eddy_job_sink_retries_total") == 0, "a Kafka sink counted database retries")
            check(metric(s, "eddy_job_sink_pending_records") == 0, "records still pending")
            jobs = json.loads(http(base + "jobs")[1])["jobs"]
            check(jobs[0]["sink_records_retried"] == retried, "/jobs says %s records retried, /metrics %s" % (jobs[0]["sink_records_retried"], retried))
            step("%d failed Produce requests: %d records retried, /jobs agrees" % (failed, retried))
            check_table("orders_by_region", fold_upsert(read_topic(b.bootstrap, "orders_by_region")), expected_table(recs))
            rc, err = job.term()
            check(rc == 0, "eddy run exited %s:\n%s" % (rc, err[-3000:]))
        finally:
            job.kill()


def test_failfast(eddy, workdir):
    path = write_file(workdir, "ff.sql", SQL)
    t0 = time.monotonic()
    r = run([eddy, "run", "--bootstrap", "127.0.0.1:1", "--state", "none", path], cwd=workdir, expect=1, timeout=30)
    took = time.monotonic() - t0
    check("cannot reach 127.0.0.1:1: connection refused" in r.err, "stderr does not say it cannot reach the broker:\n%s" % r.err)
    check(took < 6, "took %.1f s to fail" % took)
    step("failed in %.1f s: %s" % (took, r.err.strip().splitlines()[-1]))


if __name__ == "__main__":
    main({"metrics": test_metrics, "failfast": test_failfast, "sink_retries": test_sink_retries})
