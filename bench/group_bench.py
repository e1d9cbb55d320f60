#!/usr/bin/python3
"""bench/group_bench.py EDDY [N] — GROUP BY user_id shared by 1 and by 2
processes (`eddy run --group`, docs/scaling.md), events/s side by side.

Each round starts a fresh `eddy broker` (orders_raw and the job's sink,
exchange and changelog topics pre-created with 16 partitions: the mock keeps
~5 MiB per partition), produces N reference orders (`eddy gen orders
--users 100000`, so ~100k groups), then starts P processes of
bench/sql/orders_by_user.sql at once, each `--group bench --session-timeout
4000 --parallelism 1 --http 127.0.0.1:0` with its own state directory.

A group run is unbounded, and its first join takes ~3 s on the development
broker, so the clock does not start at the processes' start:

  start  the moment the last of the P processes has taken its first task
         (its stderr, polled every 10 ms; the rounds where the group
         rebalanced again after that are reported as such)
  end    the CreateTime of the last record of the sink topic (the latest
         over its partitions), once every process's /jobs says its records
         in sum to N with no lag, and the sink has not grown for 2 s

events/s = N / (end - start).  CPU s is user+sys of the P processes (from
/proc/PID/stat) between start and the moment the end was seen, and of the
broker.  P = 1 and P = 2 alternate for REPEAT rounds (default 3); the median
per P is reported, with every round listed.  EDDY should be a Release build.
PROCS="1 2" (default) chooses the process counts; KEEP=1 keeps the work
directories (each process's stderr).
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from confluent_kafka import Consumer, TopicPartition

HERE = os.path.dirname(os.path.abspath(__file__))
SQL = os.path.join(HERE, "sql", "orders_by_user.sql")
JOB = "orders_by_user"
PARTS = 16
TCK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        v = f.read().rsplit(")", 1)[1].split()
    return (int(v[11]) + int(v[12])) / TCK


def wait_lines(path, n, timeout=30):
    t0 = time.time()
    while time.time() - t0 < timeout:
        with open(path) as f:
            lines = f.read().splitlines()
        if len(lines) >= n:
            return lines
        time.sleep(0.05)
    raise SystemExit("%s: no %d lines after %d s" % (path, n, timeout))


def sink_end(bs):
    """(records in the sink, the latest CreateTime of its partitions' last records, ms)."""
    c = Consumer({"bootstrap.servers": bs, "group.id": "gb-probe", "enable.auto.commit": False})
    total, last = 0, 0
    tps = []
    for p in range(PARTS):
        lo, hi = c.get_watermark_offsets(TopicPartition(JOB, p), timeout=10)
        total += hi - lo
        if hi > lo:
            tps.append(TopicPartition(JOB, p, hi - 1))
    if tps:
        c.assign(tps)
        got, deadline = 0, time.time() + 20
        while got < len(tps) and time.time() < deadline:
            m = c.poll(0.5)
            if m is None or m.error():
                continue
            got += 1
            last = max(last, m.timestamp()[1])
    c.close()
    return total, last


def jobs(url):
    with urllib.request.urlopen(url + "jobs", timeout=5) as r:
        return json.loads(r.read().decode())["jobs"][0]


def one_round(eddy, n, nproc, work):
    d = tempfile.mkdtemp(prefix="p%d-" % nproc, dir=work)
    topics = [JOB, "orders_raw", JOB + "-x0", JOB + "-s0-changelog", JOB + "-s1-changelog"]
    bout, berr = open(os.path.join(d, "broker.out"), "w"), open(os.path.join(d, "broker.err"), "w")
    broker = subprocess.Popen([eddy, "broker"] + sum((["--topic", "%s:%d" % (t, PARTS)] for t in topics), []), stdout=bout, stderr=berr)
    procs = []
    try:
        bs = wait_lines(os.path.join(d, "broker.out"), 2)[0]
        subprocess.run([eddy, "gen", "orders", "--topic", "orders_raw", "--count", str(n), "--seed", "5", "--users", "100000",
                        "--bootstrap", bs], check=True, capture_output=True)
        for k in range(nproc):
            pd = os.path.join(d, "proc%d" % k)
            os.makedirs(pd)
            err = os.path.join(pd, "err")
            procs.append((subprocess.Popen([eddy, "run", "--bootstrap", bs, "--group", "bench", "--session-timeout", "4000",
                                            "--parallelism", "1", "--http", "127.0.0.1:0", "--no-progress", SQL],
                                           cwd=pd, stdout=subprocess.DEVNULL, stderr=open(err, "w")), err))
        urls = [None] * nproc
        first = [None] * nproc
        c0 = [None] * nproc
        deadline = time.time() + 60
        while None in first and time.time() < deadline:   # the moment each has taken a task
            for k, (p, err) in enumerate(procs):
                if p.poll() is not None:
                    raise SystemExit("process %d exited:\n%s" % (k, open(err).read()))
                text = open(err).read()
                m = re.search(r"serving (http://127\.0\.0\.1:\d+/)", text)
                if m:
                    urls[k] = m.group(1)
                if first[k] is None and "taken (group" in text:
                    first[k] = time.time()
                    c0[k] = cpu_s(p.pid)
            time.sleep(0.01)
        if None in first:
            raise SystemExit("a process took no task in 60 s")
        start = max(first)
        b0 = cpu_s(broker.pid)
        last_total, stable_since = -1, time.time()
        while time.time() < deadline + 300:   # the end: all read, no lag, the sink still for 2 s
            time.sleep(0.2)
            js = [jobs(u) for u in urls]
            read = sum(j["records_in"] for j in js)
            lag = sum(max(t.get("lag") or 0, 0) for j in js for t in j.get("tasks", []))
            total, _ = sink_end(bs) if read >= n and lag == 0 else (-1, 0)
            if total != last_total:
                last_total, stable_since = total, time.time()
            elif total >= 0 and time.time() - stable_since >= 2:
                break
        seen = time.time()
        cpu = sum(cpu_s(p.pid) - c0[k] for k, (p, _) in enumerate(procs))
        bcpu = cpu_s(broker.pid) - b0
        total, end_ms = sink_end(bs)
        rebalanced = sum(open(err).read().count("given back") for _, err in procs)
        for p, _ in procs:
            p.terminate()
        for p, _ in procs:
            p.wait(30)
        took = [len(re.findall(r"stage \d+, task \d+: taken", open(err).read())) for _, err in procs]
        secs = end_ms / 1000.0 - start
        return {"p": nproc, "secs": secs, "eps": n / secs, "cpu": cpu, "broker_cpu": bcpu, "sink": total, "took": took,
                "rebalanced": rebalanced, "idle_tail": seen - end_ms / 1000.0}
    finally:
        for p, _ in procs:
            if p.poll() is None:
                p.kill()
        broker.terminate()
        broker.wait(30)
        if not os.environ.get("KEEP"):
            shutil.rmtree(d, ignore_errors=True)


def main():
    eddy = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000000
    rounds = int(os.environ.get("REPEAT", "3"))
    work = tempfile.mkdtemp(prefix="eddy-group-bench-")
    print("GROUP BY user_id (100k keys), N=%d, %d rounds; load average %s" % (n, rounds, open("/proc/loadavg").read().split()[0]))
    procs = [int(x) for x in os.environ.get("PROCS", "1 2").split()]
    res = {p: [] for p in procs}
    for r in range(rounds):
        for p in procs:
            x = one_round(eddy, n, p, work)
            res[p].append(x)
            print("round %d, %d process%s: %.3f s, %.0f events/s, CPU %.2f s (broker %.2f s), sink %d records, tasks taken %s, "
                  "given back %d" % (r + 1, p, "es" if p > 1 else "", x["secs"], x["eps"], x["cpu"], x["broker_cpu"], x["sink"],
                                     x["took"], x["rebalanced"]), flush=True)
    print("load average at the end %s" % open("/proc/loadavg").read().split()[0])
    med = {p: statistics.median(x["eps"] for x in res[p]) for p in res}
    cpu = {p: statistics.median(x["cpu"] for x in res[p]) for p in res}
    print("| processes | events/s (median) | CPU s of the processes (median) |")
    print("| --- | ---: | ---: |")
    for p in procs:
        print("| %d | %.0f | %.2f |" % (p, med[p], cpu[p]))
    if 1 in med and 2 in med:
        print("2 processes vs 1: %.2fx events/s" % (med[2] / med[1]))
    if not os.environ.get("KEEP"):
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
