"""repl/piped — `eddy < script.sql` and `echo … | eddy`: no prompts and no
escape codes, results in a plain parseable form (a SELECT's changes as
+I[…] lines), the exit status 1 at the first error (which names
<stdin>:line:col and shows the caret), --continue-on-error, a last
statement without ';', EDDY_BOOTSTRAP and SET 'properties.bootstrap.servers',
a job that finishes by itself; SIGINT ending an endless SELECT (and the
script), SIGTERM stopping a job left running at the end of the input."""

import os
import re
import select
import signal
import subprocess
import time

from eddyharness import Broker, check, gen_orders, main, step
from repltest import run_piped

BOUNDED = ("CREATE TABLE orders_raw (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING) "
           "WITH ('scan.bounded.mode' = 'latest-offset');\n")
ENDLESS = "CREATE TABLE orders_raw (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING);\n"
CHANGE = re.compile(r"^([+-][IUD])\[(.*)\]$")


def fold(lines):
    """A changelog (+I[…] lines) folded into the final multiset of rows."""
    rows = []
    for l in lines:
        m = CHANGE.match(l)
        check(m, "not a change line: %r" % l)
        if m.group(1) in ("+I", "+U"):
            rows.append(m.group(2))
        else:
            check(m.group(2) in rows, "retracts a row that is not there: %r" % l)
            rows.remove(m.group(2))
    return sorted(rows)


def no_escapes(*texts):
    for t in texts:
        check("\x1b" not in t and "eddy>" not in t and "->" not in t, "prompts or escape codes in %r" % t)


def read_lines_until(proc, n, timeout):
    """Reads stdout lines of a running process until n lines came."""
    buf, deadline = b"", time.monotonic() + timeout
    while buf.count(b"\n") < n:
        left = deadline - time.monotonic()
        check(left > 0, "only %r on stdout after %gs" % (buf, timeout))
        r, _, _ = select.select([proc.stdout], [], [], left)
        if r:
            data = os.read(proc.stdout.fileno(), 4096)
            check(data, "stdout closed early: %r" % buf)
            buf += data
    return buf.decode()


def test(eddy, workdir):
    with Broker(eddy, workdir, {"orders_raw": 4}) as b:
        bs = ["--bootstrap", b.bootstrap]
        gen_orders(eddy, b.bootstrap, "orders_raw", 30)

        script = (BOUNDED + "SHOW TABLES;\n"
                  "SELECT order_id, region FROM orders_raw WHERE order_id <= 3 LIMIT 3;\n"
                  "SELECT region, COUNT(*) AS n FROM orders_raw GROUP BY region;\n")
        rc, out, err = run_piped(eddy, script, bs)
        check(rc == 0, "exit status %d; stderr: %s" % (rc, err))
        no_escapes(out, err)
        lines = out.splitlines()
        check(lines[0] == "orders_raw", "SHOW TABLES: %r" % out)
        check(sorted(re.match(r"\+I\[(\d), [a-z-]+\]$", l).group(1) for l in lines[1:4]) == ["1", "2", "3"],
              "the LIMIT 3 query: %r" % out)
        final = fold(lines[4:])
        check(sum(int(r.split(", ")[1]) for r in final) == 30, "the per-region counts: %r" % final)
        step("SHOW TABLES, a LIMIT query, a bounded aggregate: plain lines (%d regions)" % len(final))

        script = "CREATE TABLE a (x INT);\nSHOW TABLES;\n\nSELECT y\n  FROM a;\nCREATE TABLE b (x INT);\nSHOW TABLES;\n"
        rc, out, err = run_piped(eddy, script)
        check(rc == 1, "exit status %d after an error" % rc)
        check(out == "a\n", "the script went on after the error: %r" % out)
        check("<stdin>:4:8: error: unknown column 'y'" in err and "\nSELECT y\n       ^\n" in err, "error: %r" % err)
        no_escapes(out, err)
        rc, out, err = run_piped(eddy, script, ["--continue-on-error"])
        check(rc == 1 and out == "a\na\nb\n", "--continue-on-error: status %d, %r" % (rc, out))
        step("the first error stops the script (exit 1); --continue-on-error carries on")

        rc, out, err = run_piped(eddy, "CREATE TABLE t (a INT); DESCRIBE t")
        check(rc == 0 and re.search(r"\na +INT +YES", out), "a last statement without ';': %d %r %r" % (rc, out, err))
        rc, out, err = run_piped(eddy, "SET 'nope' = '1';")
        check(rc == 1 and "<stdin>:1:5: error: unknown setting 'nope'" in err, "bad SET: %r" % err)
        rc, out, err = run_piped(eddy, "help\nquit\nSHOW TABLES;\n")
        check(rc == 0 and "SHOW JOBS" in out, "help then quit: %d %r" % (rc, out))
        step("a last statement without ';', help, quit")

        rc, out, err = run_piped(eddy, BOUNDED + "SELECT COUNT(*) AS n FROM orders_raw;\n",
                                 env={"EDDY_BOOTSTRAP": b.bootstrap})
        check(rc == 0 and fold(out.splitlines()) == ["30"], "EDDY_BOOTSTRAP: %d %r %r" % (rc, out, err))
        rc, out, err = run_piped(eddy, "SET 'properties.bootstrap.servers' = '%s';\n" % b.bootstrap + BOUNDED +
                                 "SELECT COUNT(*) AS n FROM orders_raw;\n")
        check(rc == 0 and fold(out.splitlines()) == ["30"], "SET bootstrap: %d %r %r" % (rc, out, err))
        rc, out, err = run_piped(eddy, BOUNDED + "SELECT COUNT(*) AS n FROM orders_raw;\n")
        check(rc == 1 and "no Kafka bootstrap server" in err, "no broker at all: %d %r" % (rc, err))
        step("EDDY_BOOTSTRAP, SET 'properties.bootstrap.servers', and none")

        # A job whose source is bounded finishes by itself; the script then ends.
        script = (BOUNDED + "CREATE TABLE summary (region STRING PRIMARY KEY NOT ENFORCED, n BIGINT);\n"
                  "INSERT INTO summary SELECT region, COUNT(*) FROM orders_raw GROUP BY region;\nSHOW JOBS;\n")
        rc, out, err = run_piped(eddy, script, bs)
        check(rc == 0, "bounded job: status %d, %r" % (rc, err))
        check(re.match(r"id +name +state +records_in +records_out +lag +started +error\n1 +summary +(RUNNING|FINISHED) ", out),
              "SHOW JOBS: %r" % out)
        check("eddy: started job 1 'summary'" in err and re.search(r"Job 1 'summary' finished: 30 records in", err),
              "bounded job: %r" % err)
        rc, out, err = run_piped(eddy, "CREATE TABLE summary (region STRING PRIMARY KEY NOT ENFORCED, n BIGINT) WITH "
                                 "('scan.bounded.mode' = 'latest-offset', 'changelog.mode' = 'upsert');\n"
                                 "SELECT SUM(n) AS total FROM summary;\n", bs)
        check(rc == 0 and fold(out.splitlines()) == ["30"], "what the job wrote: %d %r %r" % (rc, out, err))
        step("an INSERT job over a bounded source finishes, and its output is complete")

        # An endless SELECT: SIGINT stops it (rows already printed) and the script, exit 0.
        env = dict(os.environ)
        env.pop("EDDY_BOOTSTRAP", None)
        p = subprocess.Popen([eddy] + bs, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        p.stdin.write((ENDLESS + "SELECT order_id FROM orders_raw;\nSHOW TABLES;\n").encode())
        p.stdin.close()
        got = read_lines_until(p, 30, 20)
        p.send_signal(signal.SIGINT)
        p.wait(20)
        rest = p.stdout.read().decode()
        check(p.returncode == 0, "SIGINT during a SELECT: status %s, %s" % (p.returncode, p.stderr.read()))
        check(sorted(int(x) for x in re.findall(r"\+I\[(\d+)\]", got + rest)) == list(range(1, 31)),
              "rows: %r" % (got + rest))
        check("orders_raw" not in rest, "the script went on after SIGINT: %r" % rest)
        step("SIGINT ends an endless SELECT and the script")

        p = subprocess.Popen([eddy] + bs, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        p.stdin.write((ENDLESS + "CREATE TABLE s2 (region STRING PRIMARY KEY NOT ENFORCED, n BIGINT);\n"
                       "INSERT INTO s2 SELECT region, COUNT(*) FROM orders_raw GROUP BY region;\n").encode())
        p.stdin.close()
        line, deadline = b"", time.monotonic() + 15
        while b"until SIGINT or SIGTERM" not in line and time.monotonic() < deadline:
            r, _, _ = select.select([p.stderr], [], [], 0.5)
            if r:
                line += os.read(p.stderr.fileno(), 4096)
        check(b"eddy: end of input; 1 job running until SIGINT or SIGTERM" in line, "stderr: %r" % line)
        p.send_signal(signal.SIGTERM)
        p.wait(20)
        err = (line + p.stderr.read()).decode()
        check(p.returncode == 0 and re.search(r"Job 1 's2' stopped: \d+ records in", err), "SIGTERM: %s %r" % (p.returncode, err))
        step("at the end of input a running job runs until SIGTERM, then stops cleanly")


main(test)
