"""eddytest — what only the end-to-end tests (tests/e2e/) need.

The broker, producing, reading back, upsert folds and table comparisons
come from the shared harness (tests/lib/eddyharness.py).  Here:

  * run_job: `eddy run --bounded` on SQL text the test writes, in a new
    directory, so the job's default state file is fresh for every run;
  * start_job and run_phases: an unbounded job fed phase after phase, each
    phase's expected sink tables awaited before the next, then SIGTERM;
  * the other sink modes: fold_retract (a multiset by the `op` header),
    op_of, fold_append, and their comparisons check_multiset and
    check_list; check_ends_deleted (an upsert sink's last record for a key
    is a tombstone);
  * Sections: independent parts of one test, so that one failing part does
    not hide the others.
"""

import collections
import json
import os
import sqlite3

from eddyharness import (Failure, Job, canon, check, fmt_row, produce, quiet, read_topic, row_eq, run_bounded,
                         step, wait_for, write_file)

_runs = [0]


def _write_sql(workdir, name, sql):
    """Writes WORKDIR/NAME.sql; returns it and a new, empty directory for the
    run to work in, so the job's state files (named after the job, in the
    current directory) are fresh for every run."""
    _runs[0] += 1
    path = write_file(workdir, "%s.sql" % name, sql)
    rundir = os.path.join(workdir, "run%d-%s" % (_runs[0], name))
    os.mkdir(rundir)
    return path, rundir


def checkpointed(state, n=0):
    """Whether the state file holds a checkpoint with operator state and the
    offsets of at least n records (summed over the source partitions)."""
    if not os.path.exists(state):
        return False
    db = sqlite3.connect(state)
    try:
        rows = db.execute("SELECT (SELECT count(*) FROM eddy_current), (SELECT coalesce(sum(next_offset), 0) FROM eddy_offsets)").fetchone()
    except sqlite3.Error:
        return False
    finally:
        db.close()
    return rows[0] > 0 and rows[1] >= n


def run_job(eddy, bootstrap, sql, workdir, name="job", expect=0, timeout=60, extra=()):
    """Writes sql to WORKDIR/NAME.sql and runs `eddy run --bounded` on it in
    a new directory (so with fresh state); checked as eddyharness.run_bounded
    does.  Returns its Ran."""
    path, rundir = _write_sql(workdir, name, sql)
    return run_bounded(eddy, bootstrap, path, rundir, expect=expect, extra=extra, timeout=timeout)


def start_job(eddy, bootstrap, sql, workdir, name="job"):
    """An unbounded `eddy run` of sql (a Job), in a new directory."""
    path, rundir = _write_sql(workdir, name, sql)
    return Job(eddy, bootstrap, path, rundir, name)


def run_phases(eddy, bootstrap, sql, workdir, name, source_topic, phases, sinks):
    """Runs sql as an unbounded job while producing phases = [(records,
    {sink_topic: expected})] into source_topic one after the other; sinks =
    {sink_topic: (fold, compare)}.  After each phase it waits (at most 20 s)
    until compare(what, fold(read_topic(sink)), expected) passes for every
    sink, so that the sinks have certainly shown the intermediate result
    before the next phase changes it.  Then stops the job with SIGTERM (exit
    0 expected) and returns {sink_topic: its records, read to the end}."""
    job = start_job(eddy, bootstrap, sql, workdir, name)
    try:
        for i, (recs, expected) in enumerate(phases):
            produce(bootstrap, source_topic, recs)
            for sink, exp in expected.items():
                fold, compare = sinks[sink]
                what = "%s after phase %d" % (sink, i + 1)

                def cond():
                    with quiet():
                        compare(what, fold(read_topic(bootstrap, sink)), exp)
                    return True
                wait_for(what, cond, job=job, interval=0.15)
                step("%s: as expected" % what)
        rc, err = job.term()
        check(rc == 0, "%s exited with %s after SIGTERM, expected 0:\n%s" % (job.name, rc, err[-3000:]))
    finally:
        job.kill()
    return {sink: read_topic(bootstrap, sink) for sink in sinks}


# --------------------------------------------------------------------------
# retract and append topics

def _json(msg, what, data):
    try:
        return json.loads(data)
    except Exception as e:
        raise Failure("%s at partition %d offset %d is not JSON (%s): %r" % (what, msg.partition, msg.offset, e, data))


def op_of(m):
    """The row kind of a retract record: its `op` header, -U, +U or -D; a
    record without one is +I (eddy writes no header on inserts)."""
    ops = [v for h, v in m.headers if h == "op"]
    check(len(ops) <= 1, "record at partition %d offset %d has %d 'op' headers (%r), expected at most 1"
          % (m.partition, m.offset, len(ops), m.headers))
    if not ops:
        return "+I"
    op = ops[0].decode("utf-8", "replace") if ops[0] is not None else None
    check(op in ("-U", "+U", "-D"), "record at partition %d offset %d has op %r (+I is written without a header)"
          % (m.partition, m.offset, op))
    return op


def fold_retract(msgs):
    """A retract topic as a multiset: Counter {canon(row): count}, where the
    header `op` says +I/+U (add) or -U/-D (remove).  Removing a row that is
    not there fails."""
    bag = collections.Counter()
    for m in msgs:
        op = op_of(m)
        check(m.value is not None, "retract record at partition %d offset %d has no value" % (m.partition, m.offset))
        row = canon(_json(m, "value", m.value))
        if op in ("+I", "+U"):
            bag[row] += 1
        else:
            check(bag[row] > 0, "%s at partition %d offset %d retracts %s, which is not in the table (table: %s)"
                  % (op, m.partition, m.offset, row, sorted(bag.elements())))
            bag[row] -= 1
            if bag[row] == 0:
                del bag[row]
    return bag


def fold_append(msgs):
    """An append topic as the list of its rows, in (partition, offset) order."""
    out = []
    for m in msgs:
        check(m.value is not None, "append record at partition %d offset %d is a tombstone" % (m.partition, m.offset))
        out.append(_json(m, "value", m.value))
    return out


def check_ends_deleted(msgs, keys, how):
    """Every key in keys (a ukey) has records in msgs, an upsert topic, and
    the last of them is a tombstone.  how: what happened to the key's row
    after it was in the sink, for the message."""
    last = {}
    for m in msgs:
        last[m.key] = m
    for k in keys:
        m = last.get(k.encode())
        check(m is not None and m.value is None,
              "%s %s after it was in the sink: its last record should be a tombstone, is %r"
              % (k, how, m.value if m is not None else "<no record>"))


def check_multiset(what, actual, expected_rows):
    """actual: Counter of canon(row); expected_rows: list of row dicts.  Exact."""
    exp = collections.Counter(canon(r) for r in expected_rows)
    if actual != exp:
        missing = exp - actual
        extra = actual - exp
        raise Failure("%s: the multiset differs:\n  missing    %s\n  unexpected %s"
                      % (what, sorted(missing.elements()), sorted(extra.elements())))
    step("%s: %d rows as expected" % (what, sum(actual.values())))


def check_list(what, actual, expected, rel_tol=0.0):
    """Lists of rows, in order."""
    problems = []
    for i in range(max(len(actual), len(expected))):
        a = actual[i] if i < len(actual) else "<none>"
        e = expected[i] if i < len(expected) else "<none>"
        if i >= len(actual) or i >= len(expected) or not row_eq(a, e, rel_tol):
            problems.append("  [%d] actual   %s\n       expected %s" % (i, fmt_row(a), fmt_row(e)))
    if problems:
        raise Failure("%s: %d rows, %d expected; differences:\n%s"
                      % (what, len(actual), len(expected), "\n".join(problems[:40])))
    step("%s: %d rows as expected" % (what, len(actual)))


# --------------------------------------------------------------------------
# independent parts

class Sections:
    """Runs independent parts of a test so that one failing part does not
    hide the others; raises one Failure listing every failed part at the end.

        with Sections() as sec:
            with sec("fail mode"):
                ...
    """

    def __init__(self):
        self.failed = []

    def __call__(self, name):
        outer = self

        class _Part:
            def __enter__(self):
                step("--- %s" % name)

            def __exit__(self, et, ev, tb):
                if et is not None and issubclass(et, Failure):
                    step("--- %s: FAILED" % name)
                    outer.failed.append("[%s] %s" % (name, ev))
                    return True
                return False
        return _Part()

    def __enter__(self):
        return self

    def __exit__(self, et, ev, tb):
        if et is None and self.failed:
            raise Failure("%d part(s) failed:\n%s" % (len(self.failed), "\n\n".join(self.failed)))
        return False
