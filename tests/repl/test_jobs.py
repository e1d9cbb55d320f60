"""repl/jobs — INSERT INTO … SELECT starts a background job and the prompt
comes back at once; SHOW JOBS shows its state, records in/out and lag;
STOP JOB stops it cleanly; with SET 'state.path' the stop writes a final
checkpoint that the next job resumes from; a job that fails is reported
while the prompt waits; quitting stops running jobs cleanly.  Against `eddy broker`, with orders from `eddy gen`."""

import os
import re
import sqlite3
import time

from eddyharness import Broker, Failure, check, gen_orders, main, produce, step
from repltest import INSERT, ORDERS, SUMMARY, Shell

JOB_ROW = r"\n%d +orders_summary +(RUNNING|STOPPING|FINISHED|FAILED|STOPPED) +(\d+) +(\d+) +(\d+|-) +\d\d:\d\d:\d\d"


def job_row(s, job_id):
    out = s.run("SHOW JOBS;")
    m = re.search(JOB_ROW % job_id, out)
    check(m, "job %d is not in SHOW JOBS:\n%s" % (job_id, out))
    return m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)


def until_job(s, job_id, want, timeout=20):
    """Runs SHOW JOBS until want(state, records_in, records_out, lag) holds."""
    deadline = time.monotonic() + timeout
    while True:
        row = job_row(s, job_id)
        if want(*row):
            return row
        if time.monotonic() > deadline:
            raise Failure("job %d never reached the expected state; last SHOW JOBS row: %r" % (job_id, row))
        time.sleep(0.2)


def test(eddy, workdir):
    with Broker(eddy, workdir, {"orders_raw": 4}) as b:
        s = Shell(eddy, workdir, ["--bootstrap", b.bootstrap])
        state = os.path.join(s.home, "summary.db")
        try:
            s.prompt()
            s.run(ORDERS)
            s.run(SUMMARY)
            out = s.run("SHOW JOBS;")
            check("No jobs." in out, "SHOW JOBS with none: %r" % out)
            gen_orders(eddy, b.bootstrap, "orders_raw", 1000)

            t0 = time.monotonic()
            out = s.run(INSERT)
            check("Started job 1 'orders_summary'." in out, "INSERT said: %r" % out)
            check(time.monotonic() - t0 < 5, "the prompt did not come back at once")
            st, rin, rout, lag = until_job(s, 1, lambda st, i, o, l: st == "RUNNING" and i == 1000 and o > 0 and l == "0")
            step("job 1 RUNNING: %d records in, %d out, lag %s" % (rin, rout, lag))
            gen_orders(eddy, b.bootstrap, "orders_raw", 500, 2)
            until_job(s, 1, lambda st, i, o, l: st == "RUNNING" and i == 1500 and l == "0")
            step("job 1 follows new orders (1500 in, lag 0)")
            for _ in range(30):   # the job publishes its counters every 250 ms: SHOW JOB may be that far behind SHOW JOBS
                out = s.run("SHOW JOB '1';")
                if "records in 1,500," in out:
                    break
                time.sleep(0.1)
            check(re.search(r"Job 'orders_summary': RUNNING\s+records in 1,500,", out), "SHOW JOB's first lines: %r" % out[:400])
            check(re.search(r"GroupAggregate\(groupBy=\[region\].*\s1,500\s+\d", out), "SHOW JOB has no GroupAggregate line with 1,500 rows in: %r" % out)
            check(re.search(r"KafkaSource\(.*\s1,500\s+1,500\s", out), "SHOW JOB's source line: %r" % out)
            step("SHOW JOB '1' shows the operators with their counts")
            out2 = s.run("DESCRIBE JOB 'orders_summary';")
            check(re.search(r"Job 'orders_summary': RUNNING\s+records in 1,500,", out2), "DESCRIBE JOB's first lines: %r" % out2[:400])
            check(re.search(r"GroupAggregate\(groupBy=\[region\].*\s1,500\s+\d", out2), "DESCRIBE JOB has no GroupAggregate line: %r" % out2)
            out2 = s.run("DESC JOB 1;")
            check(re.search(r"KafkaSource\(.*\s1,500\s+1,500\s", out2), "DESC JOB 1's source line: %r" % out2)
            step("DESCRIBE JOB 'orders_summary' and DESC JOB 1 show the same")

            out = s.run("STOP JOB '1';")
            check("Stopping job 1 'orders_summary'" in out, "STOP JOB said: %r" % out)
            check(re.search(r"Job 1 'orders_summary' stopped: 1,500 records in, \d+ records out\.", out), "STOP JOB: %r" % out)
            until_job(s, 1, lambda st, i, o, l: st == "STOPPED" and i == 1500)
            out = s.run("STOP JOB '1';")
            check("Job 1 'orders_summary' is already STOPPED." in out, "second STOP JOB: %r" % out)
            out = s.run("STOP JOB 'nope';")
            check("error: no job 'nope'" in out, "STOP JOB of an unknown job: %r" % out)
            step("STOP JOB stops it; SHOW JOBS says STOPPED")

            # What the job wrote, read back from its topic: 1500 orders in all.
            s.line("SELECT SUM(total_orders) AS total FROM orders_summary;")
            s.expect(r"\n +1500\n\(1 row", what="the total of 1500 in the sink topic")
            s.send("q")
            s.prompt()
            step("the sink topic holds the totals")

            # A job with a state file: stop = final checkpoint; the next job resumes from it.
            s.run("SET 'state.path' = '%s';" % state)
            s.run(INSERT, expect=r"Started job 2")
            until_job(s, 2, lambda st, i, o, l: st == "RUNNING" and i == 1500)
            out = s.run("STOP JOB 'orders_summary';")
            check(re.search(r"Job 2 'orders_summary' stopped: 1,500 records in, \d+ records out; final checkpoint in %s\."
                            % re.escape(state), out), "STOP JOB by name, with state: %r" % out)
            check(os.path.exists(state), "no state file %s" % state)
            gen_orders(eddy, b.bootstrap, "orders_raw", 100, 3)
            out = s.run(INSERT)
            check("Job 'orders_summary' resumes from %s" % state in out and "Started job 3" in out, "resume: %r" % out)
            until_job(s, 3, lambda st, i, o, l: st == "RUNNING" and i == 100 and l == "0")
            step("job 3 resumed from the checkpoint: read only the 100 new orders")

            # A job that fails while the prompt waits is reported at once, above
            # the prompt, and what was being typed is kept.
            produce(b.bootstrap, "bad", [(None, '{"a": 1}'), (None, "not json")])
            out = s.run(INSERT)
            check("is in use by another eddy job" in out, "a second job on a state file in use: %r" % out)
            s.run("RESET 'state.path';")
            s.run("CREATE TABLE bad (a INT);")
            s.run("CREATE TABLE out1 (a INT);")
            s.run("INSERT INTO out1 SELECT a FROM bad;", expect=r"Started job 4 'out1'")
            s.send("SHOW JO")
            s.expect(r"error: job 4 'out1' failed: malformed record in topic 'bad'", what="the failure notice")
            s.expect(r"eddy> SHOW JO")
            s.send("BS;\r")
            s.expect(r"\n4 +out1 +FAILED +")
            s.prompt()
            step("a failing job is reported while the prompt waits")

            # Quitting stops the running job cleanly (flush and final checkpoint).
            s.line("quit")
            s.expect(r"Stopping 1 running job")
            s.expect(r"Job 3 'orders_summary' stopped: 100 records in, \d+ records out; final checkpoint in")
            status = s.wait_exit()
            check(status == 0, "exit status %s" % status)
            db = sqlite3.connect(state)
            total = db.execute("SELECT SUM(next_offset) FROM eddy_offsets WHERE topic = 'orders_raw'").fetchone()[0]
            db.close()
            check(total == 1600, "the final checkpoint's offsets add up to %r, not 1600" % total)
            step("quit stopped job 3 with a final checkpoint at offset 1600")
        finally:
            s.kill()


main(test)
