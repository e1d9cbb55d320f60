"""repl/monitor — DESCRIBE JOB in the shell while the sink's requests fail.

The orders are in orders_raw before the shell starts; the broker is told to
fail the next 6 Produce requests with REQUEST_TIMED_OUT, so the first
requests of the job's sink (the only producer by then) fail and are
retried.  `DESCRIBE JOB 'orders_summary'` (and `SHOW JOB 1`, the same
statement) then has a sink line counting at least one retried record per
failed request, and the job's per-operator lines; SHOW JOBS has no error;
the sink topic holds the right totals.

Then fail fast in the shell: with --bootstrap 127.0.0.1:1 (nothing listens)
an INSERT job and a SELECT each fail within a few seconds saying "cannot
reach 127.0.0.1:1: connection refused".
"""
import re
import time

from eddyharness import Broker, check, gen_orders, main, step
from repltest import INSERT, ORDERS, SUMMARY, Shell, run_piped

FAILED = 6


def test(eddy, workdir):
    with Broker(eddy, workdir, {"orders_raw": 4, "orders_summary": 2}, control=True) as b:
        gen_orders(eddy, b.bootstrap, "orders_raw", 1000)
        b.fault("produce-errors %d REQUEST_TIMED_OUT" % FAILED)
        s = Shell(eddy, workdir, ["--bootstrap", b.bootstrap])
        try:
            s.prompt()
            s.run(ORDERS)
            s.run(SUMMARY)
            out = s.run(INSERT)
            check("Started job 1 'orders_summary'." in out, "INSERT said: %r" % out)
            m = None
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:   # the producer's statistics come once a second
                out = s.run("DESCRIBE JOB 'orders_summary';")
                m = re.search(r"\n  sink: (\d+) pending, (\d+) client errors, (\d+) records retried \(Kafka\), (\d+) retries \(database\)", out)
                if m and int(m.group(3)) >= FAILED and "records in 1,000," in out:
                    break
                time.sleep(0.3)
            check(m and int(m.group(3)) >= FAILED, "DESCRIBE JOB's sink line never counted %d retried records: %r" % (FAILED, out))
            check(m.group(4) == "0", "a Kafka sink with database retries: %r" % m.group(0))
            check(re.search(r"Job 'orders_summary': RUNNING\s+records in 1,000,", out), "DESCRIBE JOB's first lines: %r" % out[:400])
            check(re.search(r"GroupAggregate\(groupBy=\[region\].*\s1,000\s+\d", out), "no GroupAggregate line: %r" % out)
            step("DESCRIBE JOB: %s" % m.group(0).strip())
            out2 = s.run("SHOW JOB 1;")
            check("records retried (Kafka)" in out2, "SHOW JOB 1 has no sink line: %r" % out2)
            s.run("STOP JOB 1;")
            s.line("SELECT SUM(total_orders) AS total FROM orders_summary;")
            s.expect(r"\n +1000\n\(1 row", what="the total of 1000 in the sink topic")
            s.send("q")
            s.prompt()
            step("the sink topic holds the totals")
        finally:
            s.kill()

    t0 = time.monotonic()
    rc, out, err = run_piped(eddy, ORDERS + "\n" + SUMMARY + "\n" + INSERT + "\nSELECT * FROM orders_raw;\n",
                             ["--bootstrap", "127.0.0.1:1"])
    took = time.monotonic() - t0
    why = "cannot reach 127.0.0.1:1: connection refused"
    check(rc != 0, "the shell exited 0 though nothing listens at 127.0.0.1:1")
    check(re.search(r"error: query failed: " + re.escape(why), err), "the SELECT did not fail saying %r:\n%s" % (why, err))
    check(re.search(r"error: job 1 'orders_summary' failed: " + re.escape(why), err), "the job did not fail saying %r:\n%s" % (why, err))
    check(took < 10, "took %.1f s to fail" % took)
    step("no broker: the job and the SELECT fail in %.1f s: %s" % (took, why))


main(test)
