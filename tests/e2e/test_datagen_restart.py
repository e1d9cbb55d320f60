"""A datagen source across restarts: a clean stop and a kill -9.

A datagen table's position (rows emitted) is checkpointed like a Kafka
offset, and row n depends only on the seed and n: after a clean stop the
next run goes on at the next row (a sequence never repeats a value), and
after a kill -9 the job re-makes the rows after its last checkpoint exactly
as before, so the aggregate's final result equals an uninterrupted run's.
No broker: datagen in, print out (eddy run reads no topic).
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

EDDY = sys.argv[1]


def run(sql_path, state, stop_after=None, sig=signal.SIGTERM):
    """Runs the job (its stdout into a file); with stop_after, signals it
    that long after its first printed row (so that it has started, whatever
    the machine's load)."""
    out_path = state + ".out"
    with open(out_path, "w") as out:
        p = subprocess.Popen([EDDY, "run", sql_path, "--state", state], stdout=out, stderr=subprocess.PIPE, text=True)
        if stop_after is not None:
            deadline = time.time() + 30
            while os.path.getsize(out_path) == 0 and p.poll() is None and time.time() < deadline:
                time.sleep(0.02)
            time.sleep(stop_after)
            p.send_signal(sig)
        _, err = p.communicate(timeout=60)
    with open(out_path) as f:
        lines = f.read().splitlines()
    return p.returncode, lines, err


def main():
    d = tempfile.mkdtemp()
    # 1. a clean stop and a restart: the sequence goes on, nothing repeats
    seq = os.path.join(d, "seq.sql")
    with open(seq, "w") as f:
        f.write("CREATE TABLE g (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '2000',"
                " 'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '4000');\n"
                "CREATE TABLE p (id BIGINT) WITH ('connector' = 'print');\n"
                "INSERT INTO p SELECT id FROM g;\n")
    state = os.path.join(d, "seq.state")
    rc, first, err = run(seq, state, stop_after=0.5)
    assert rc == 0, err
    rc, second, err = run(seq, state)
    assert rc == 0, err
    ids = [int(l[3:-1]) for l in first + second]
    assert 0 < len(first) < 4000, (len(first), err)
    assert ids == list(range(1, 4001)), (len(first), len(second), ids[:5], ids[len(first) - 2:len(first) + 2])

    # 2. kill -9 in the middle of an aggregate: the result is exact
    agg = os.path.join(d, "agg.sql")
    with open(agg, "w") as f:
        f.write("SET 'execution.checkpointing.interval' = '200 ms';\n"
                "CREATE TABLE g (id BIGINT, k INT, v INT) WITH ('connector' = 'datagen', 'rows-per-second' = '10000',"
                " 'number-of-rows' = '40000', 'seed' = '3', 'fields.k.min' = '1', 'fields.k.max' = '5',"
                " 'fields.v.min' = '0', 'fields.v.max' = '100', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1',"
                " 'fields.id.end' = '1000000');\n"
                "CREATE TABLE p (k INT, n BIGINT, s BIGINT, mx BIGINT) WITH ('connector' = 'print');\n"
                "INSERT INTO p SELECT k, COUNT(*), SUM(CAST(v AS BIGINT)), MAX(id) FROM g GROUP BY k;\n")

    def final(lines):
        last = {}
        for l in lines:
            if not l.endswith("]"):
                continue   # the line a kill -9 cut short (stdout is buffered)
            kind, body = l[:2], l[3:-1].split(", ")
            if kind in ("+I", "+U"):
                last[body[0]] = body[1:]
        return last

    rc, whole, err = run(agg, os.path.join(d, "whole.state"))
    assert rc == 0, err
    want = final(whole)
    assert sum(int(v[0]) for v in want.values()) == 40000, want
    st = os.path.join(d, "killed.state")
    rc, before, err = run(agg, st, stop_after=1.5, sig=signal.SIGKILL)   # checkpoints every 200 ms; 4 s of rows
    assert rc == -signal.SIGKILL, (rc, err)
    rc, after, err = run(agg, st)
    assert rc == 0, err
    assert "resumes from" in err, err
    got = final(before + after)
    assert got == want, (got, want)
    print("ok: datagen resumes after a stop and after kill -9")


main()
