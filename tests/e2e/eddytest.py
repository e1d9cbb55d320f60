"""eddytest — the shared helper of eddy's end-to-end tests (tests/e2e/).

Each test script is run by ctest as

    /usr/bin/python3 tests/e2e/test_<name>.py path/to/eddy

and uses this module to:

  * start `eddy broker` on a free loopback port with pre-created topics and
    stop it again (Broker, a context manager: the broker is stopped on every
    path, and it is also killed if the test process itself dies);
  * produce records (JSON or raw bytes keys and values, tombstones, headers,
    explicit partitions and timestamps) and flush them (produce);
  * run `eddy run --bounded 1 --bootstrap ... job.sql` (or `--bounded`, as
    the binary's --help says) on SQL written by the test, checking its exit
    status and stderr (run_job), or start an unbounded job and stop it with
    SIGTERM (start_job, run_phases);
  * read a topic from its beginning to its end, where the end is the high
    watermark of every partition taken before reading (read_topic);
  * fold an upsert topic into its final table, a retract topic into a
    multiset by the `op` header, an append topic into a list;
  * compare tables exactly, or with a relative tolerance for doubles.

Only confluent_kafka (Debian's python3-confluent-kafka, importable from
/usr/bin/python3) and the standard library are used.  Every address is
127.0.0.1.
"""

import collections
import ctypes
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

from confluent_kafka import Consumer, Producer, TopicPartition

__all__ = [
    "Failure", "Rec", "Broker", "produce", "run_job", "start_job", "read_topic",
    "fold_upsert", "fold_retract", "fold_append", "ukey", "canon", "check",
    "check_table", "check_multiset", "check_list", "OneOf", "wait_for", "run_phases",
    "round_half_up", "main", "step", "Sections",
]


class Failure(AssertionError):
    """A test expectation that did not hold (the message says what)."""


# --------------------------------------------------------------------------
# small utilities

_T0 = time.monotonic()


_quiet = [0]


def step(msg):
    """Prints a progress line with the time since the test started."""
    if not _quiet[0]:
        print("[%6.2fs] %s" % (time.monotonic() - _T0, msg), flush=True)


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def canon(obj):
    """A canonical, hashable text for a JSON value (keys sorted)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def ukey(**cols):
    """The canonical key of an upsert-table row, e.g. ukey(region='eu')."""
    return canon(cols)


def round_half_up(x, n):
    """ROUND(x, n) for a DOUBLE the way Flink does it: on the decimal value
    of the double's shortest representation, ties away from zero (so
    ROUND(2.675, 2) = 2.68)."""
    from decimal import ROUND_HALF_UP, Decimal
    if x is None:
        return None
    return float(Decimal(repr(x)).quantize(Decimal(1).scaleb(-n), rounding=ROUND_HALF_UP))


def _die_with_parent():
    # PR_SET_PDEATHSIG: a broker or job outlives no test, even one killed
    # by ctest's timeout (where no finally block runs).
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    except Exception:
        pass


_SANITIZER = re.compile(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
                        r"WARNING: ThreadSanitizer|SUMMARY: UndefinedBehaviorSanitizer")


def _check_sanitizer(what, text):
    m = _SANITIZER.search(text)
    if m:
        raise Failure("%s reported a sanitizer error:\n%s" % (what, text[max(0, m.start() - 200):][:4000]))


# --------------------------------------------------------------------------
# the broker

class Broker:
    """`eddy broker` on 127.0.0.1; topics = {name: partitions} pre-created.

        with Broker(eddy, workdir, {"orders_raw": 8}) as b:
            ... b.bootstrap ...
    """

    def __init__(self, eddy, workdir, topics=None):
        self.eddy = eddy
        self.workdir = workdir
        self.topics = dict(topics or {})
        self.proc = None
        self.bootstrap = None
        self.out_path = os.path.join(workdir, "broker.out")
        self.err_path = os.path.join(workdir, "broker.err")

    def start(self):
        args = [self.eddy, "broker"]
        for name, n in self.topics.items():
            args += ["--topic", "%s:%d" % (name, n)]
        self._out = open(self.out_path, "wb")
        self._err = open(self.err_path, "wb")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self._out, stderr=self._err,
                                     preexec_fn=_die_with_parent)
        deadline = time.monotonic() + 15
        while True:
            with open(self.out_path, "rb") as f:
                data = f.read()
            if b"\n" in data:
                line = data.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
                break
            if self.proc.poll() is not None:
                raise Failure("eddy broker exited with %d before printing its address:\n%s"
                              % (self.proc.returncode, self.stderr()))
            if time.monotonic() > deadline:
                raise Failure("eddy broker printed no address within 15 s")
            time.sleep(0.02)
        if not re.fullmatch(r"127\.0\.0\.1:[0-9]+", line):
            raise Failure("eddy broker's first line is %r, expected 127.0.0.1:PORT" % line)
        self.bootstrap = line
        step("broker at %s (topics %s)" % (line, ", ".join("%s:%d" % kv for kv in self.topics.items()) or "-"))
        return self

    def stderr(self):
        try:
            with open(self.err_path, "r", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        """SIGTERM, then wait (SIGKILL after 10 s).  Returns the exit status."""
        if self.proc is None:
            return None
        rc = self.proc.poll()
        if rc is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                rc = "killed (did not stop within 10 s of SIGTERM)"
        self.proc = None
        self._out.close()
        self._err.close()
        return rc

    def __enter__(self):
        return self.start()

    def __exit__(self, et, ev, tb):
        rc = self.stop()
        if et is None:
            # The test passed: the broker must also have behaved.
            check(rc == 0, "eddy broker exited with %s after SIGTERM:\n%s" % (rc, self.stderr()[-3000:]))
            _check_sanitizer("eddy broker", self.stderr())
        elif self.stderr().strip():
            print("--- broker stderr (tail):\n" + self.stderr()[-2000:], file=sys.stderr)
        return False


# --------------------------------------------------------------------------
# producing

class Rec:
    """One record to produce.  key/value: dict/list/number/bool → JSON text,
    str → its UTF-8 bytes as they are, bytes → as they are, None → null (a
    value of None is a tombstone).  headers: list of (name, bytes|str)."""

    __slots__ = ("key", "value", "headers", "partition", "timestamp")

    def __init__(self, key=None, value=None, headers=None, partition=None, timestamp=None):
        self.key, self.value, self.headers = key, value, headers
        self.partition, self.timestamp = partition, timestamp

    def __repr__(self):
        return "Rec(key=%r, value=%r, headers=%r, partition=%r, timestamp=%r)" % (
            self.key, self.value, self.headers, self.partition, self.timestamp)


def encode(x):
    if x is None or isinstance(x, bytes):
        return x
    if isinstance(x, str):
        return x.encode("utf-8")
    return json.dumps(x, separators=(",", ":")).encode("utf-8")


def produce(bootstrap, topic, recs):
    """Produces recs (Rec or (key, value) pairs) in order and flushes.
    Returns [(partition, offset)] per record, in the same order."""
    p = Producer({
        "bootstrap.servers": bootstrap,
        "linger.ms": 5,
        "max.in.flight.requests.per.connection": 1,   # keep the order exact
        "compression.codec": "lz4",
    })
    done = [None] * len(recs)
    errors = []

    def cb_for(i):
        def cb(err, msg):
            if err is not None:
                errors.append("record %d: %s" % (i, err))
            else:
                done[i] = (msg.partition(), msg.offset())
        return cb

    for i, r in enumerate(recs):
        if not isinstance(r, Rec):
            r = Rec(r[0], r[1])
        kw = {"key": encode(r.key), "value": encode(r.value), "on_delivery": cb_for(i)}
        if r.partition is not None:
            kw["partition"] = r.partition
        if r.timestamp is not None:
            kw["timestamp"] = r.timestamp
        if r.headers:
            kw["headers"] = [(h, encode(v)) for h, v in r.headers]
        while True:
            try:
                p.produce(topic, **kw)
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
    left = p.flush(30)
    check(left == 0, "%d records to %s not delivered within 30 s" % (left, topic))
    check(not errors, "delivery to %s failed: %s" % (topic, "; ".join(errors[:5])))
    return done


# --------------------------------------------------------------------------
# running eddy

_runs = [0]


def _write_sql(workdir, name, sql):
    """Writes WORKDIR/NAME.sql; returns it and a new, empty directory for the
    run to work in, so the job's state files (named after the job, in the
    current directory) are fresh for every run."""
    _runs[0] += 1
    path = os.path.join(workdir, "%s.sql" % name)
    with open(path, "w") as f:
        f.write(sql)
    rundir = os.path.join(workdir, "run%d-%s" % (_runs[0], name))
    os.mkdir(rundir)
    return path, rundir


_bounded = {}


def bounded_args(eddy):
    """How this eddy asks for a bounded run: `--bounded 1` (the original
    form) or `--bounded` (a flag), read from `eddy run --help`."""
    if eddy not in _bounded:
        cp = subprocess.run([eddy, "run", "--help"], capture_output=True, timeout=30)
        text = (cp.stdout + cp.stderr).decode("utf-8", "replace")
        _bounded[eddy] = ["--bounded", "1"] if re.search(r"--bounded\s+(?:0\|1|N|BOOL)", text) else ["--bounded"]
    return _bounded[eddy]


def run_job(eddy, bootstrap, sql, workdir, name="job", expect_rc=0, timeout=60, extra_args=()):
    """Writes sql to WORKDIR/NAME.sql and runs `eddy run --bounded 1` on it
    (in a new directory, so with fresh state).  Checks the exit status
    against expect_rc and that no sanitizer complained.  Returns (rc,
    stdout, stderr)."""
    path, rundir = _write_sql(workdir, name, sql)
    args = [eddy, "run"] + bounded_args(eddy) + ["--bootstrap", bootstrap] + list(extra_args) + [path]
    t0 = time.monotonic()
    try:
        cp = subprocess.run(args, cwd=rundir, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                            preexec_fn=_die_with_parent)
    except subprocess.TimeoutExpired as e:
        raise Failure("eddy run %s did not finish within %d s; stderr:\n%s"
                      % (name, timeout, (e.stderr or b"").decode("utf-8", "replace")[-3000:]))
    out = cp.stdout.decode("utf-8", "replace")
    err = cp.stderr.decode("utf-8", "replace")
    step("eddy run %s: exit %d in %.2f s" % (name, cp.returncode, time.monotonic() - t0))
    _check_sanitizer("eddy run %s" % name, err)
    if cp.returncode != expect_rc:
        raise Failure("eddy run %s exited with %d, expected %d\n--- sql:\n%s\n--- stderr:\n%s"
                      % (name, cp.returncode, expect_rc, sql, err[-4000:]))
    return cp.returncode, out, err


class RunningJob:
    """An unbounded `eddy run` in the background; stop() sends SIGTERM."""

    def __init__(self, eddy, bootstrap, sql, workdir, name):
        self.name, self.sql = name, sql
        path, rundir = _write_sql(workdir, name, sql)
        self.err_path = os.path.join(rundir, "stderr")
        self._err = open(self.err_path, "wb")
        self.proc = subprocess.Popen([eddy, "run", "--bootstrap", bootstrap, path], cwd=rundir,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._err,
                                     preexec_fn=_die_with_parent)
        step("eddy run %s started (unbounded)" % name)

    def stderr(self):
        with open(self.err_path, "r", errors="replace") as f:
            return f.read()

    def alive(self):
        if self.proc.poll() is not None:
            raise Failure("eddy run %s exited early with %d:\n%s" % (self.name, self.proc.returncode, self.stderr()[-3000:]))

    def stop(self, expect_rc=0):
        """SIGTERM (a clean stop: finish the batch, flush sinks), wait up to 20 s."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = None
        self.proc = None
        self._err.close()
        err = self.stderr()
        step("eddy run %s stopped: exit %s" % (self.name, rc))
        check(rc is not None, "eddy run %s did not stop within 20 s of SIGTERM:\n%s" % (self.name, err[-3000:]))
        _check_sanitizer("eddy run %s" % self.name, err)
        check(rc == expect_rc, "eddy run %s exited with %s after SIGTERM, expected %d:\n%s"
              % (self.name, rc, expect_rc, err[-3000:]))
        return err

    def kill(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
            self._err.close()


def start_job(eddy, bootstrap, sql, workdir, name="job"):
    return RunningJob(eddy, bootstrap, sql, workdir, name)


def wait_for(what, cond, timeout=20, job=None):
    """Polls cond() until it returns a true value (returned) or fails after
    timeout seconds with the last value of describe.  This bounds how long
    an intermediate state may take to appear; it is never used to decide
    that a topic has been read to its end."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        if job is not None:
            job.alive()
        try:
            ok, last = cond()
        except Failure as e:
            ok, last = False, str(e)
        if ok:
            return last
        if time.monotonic() > deadline:
            raise Failure("timed out after %d s waiting for %s; last state:\n%s" % (timeout, what, last))
        time.sleep(0.15)


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
                    _quiet[0] += 1
                    try:
                        compare(what, fold(read_topic(bootstrap, sink)), exp)
                    finally:
                        _quiet[0] -= 1
                    return True, None
                wait_for(what, cond, job=job)
                step("%s: as expected" % what)
        job.stop()
    finally:
        job.kill()
    return {sink: read_topic(bootstrap, sink) for sink in sinks}


# --------------------------------------------------------------------------
# reading back

Msg = collections.namedtuple("Msg", "partition offset key value headers timestamp")


def read_topic(bootstrap, topic, timeout=30):
    """Every record of topic from the beginning of each partition to the high
    watermark it had when this call started, in (partition, offset) order.
    A topic that does not exist reads as empty."""
    c = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "eddy-e2e-reader",         # never joined: assign() only
        "enable.auto.commit": False,
        "fetch.wait.max.ms": 10,
        "queued.min.messages": 1000000,
    })
    try:
        md = c.list_topics(topic, timeout=10)
        t = md.topics.get(topic)
        if t is None or t.error is not None or not t.partitions:
            return []
        need = {}
        for p in sorted(t.partitions):
            lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False)
            if hi > lo:
                need[p] = (lo, hi)
        if not need:
            return []
        c.assign([TopicPartition(topic, p, lo) for p, (lo, hi) in need.items()])
        got = {p: [] for p in need}
        pos = {p: lo for p, (lo, hi) in need.items()}
        deadline = time.monotonic() + timeout
        while any(pos[p] < need[p][1] for p in need):
            if time.monotonic() > deadline:
                raise Failure("reading %s: only reached %s of the high watermarks %s within %d s"
                              % (topic, pos, {p: hi for p, (lo, hi) in need.items()}, timeout))
            left = sum(max(0, need[p][1] - pos[p]) for p in need)
            for m in c.consume(min(left, 10000), 0.1):   # returns once that many are there
                if m.error() is not None:
                    raise Failure("reading %s: %s" % (topic, m.error()))
                p, o = m.partition(), m.offset()
                if p not in need or o >= need[p][1]:
                    continue
                ts_type, ts = m.timestamp()
                got[p].append(Msg(p, o, m.key(), m.value(), list(m.headers() or []), ts))
                pos[p] = o + 1
            # the position also moves past offsets that hold no record for
            # the application (e.g. transaction markers)
            for tp in c.position([TopicPartition(topic, p) for p in need]):
                if tp.offset >= 0:
                    pos[tp.partition] = max(pos[tp.partition], tp.offset)
        out = []
        for p in sorted(got):
            out.extend(got[p])
        return out
    finally:
        c.close()


def _json(msg, what, data):
    try:
        return json.loads(data)
    except Exception as e:
        raise Failure("%s at partition %d offset %d is not JSON (%s): %r" % (what, msg.partition, msg.offset, e, data))


def fold_upsert(msgs):
    """An upsert topic's final table: {canon(key object): row}, where the key
    is the JSON of the primary-key columns, the value the row, and a null
    value (tombstone) deletes the key.  Checks that every key is a JSON
    object whose columns equal the row's."""
    table = {}
    for m in msgs:
        check(m.key is not None, "upsert record without a key at partition %d offset %d" % (m.partition, m.offset))
        k = _json(m, "key", m.key)
        check(isinstance(k, dict) and k, "upsert key is not a JSON object: %r" % m.key)
        ck = canon(k)
        if m.value is None:
            table.pop(ck, None)
            continue
        row = _json(m, "value", m.value)
        check(isinstance(row, dict), "upsert value is not a JSON object: %r" % m.value)
        for col, v in k.items():
            check(col in row and row[col] == v,
                  "upsert record at partition %d offset %d: key %s does not match value %s"
                  % (m.partition, m.offset, m.key, m.value))
        table[ck] = row
    return table


def op_of(m):
    ops = [v for h, v in m.headers if h == "op"]
    check(len(ops) == 1, "record at partition %d offset %d has %d 'op' headers (%r), expected 1"
          % (m.partition, m.offset, len(ops), m.headers))
    op = ops[0].decode("utf-8", "replace") if ops[0] is not None else None
    check(op in ("+I", "-U", "+U", "-D"), "record at partition %d offset %d has op %r" % (m.partition, m.offset, op))
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


# --------------------------------------------------------------------------
# comparing

class OneOf:
    """An expected value that may be any of several (e.g. a ROUND whose
    input sits on a rounding boundary within the tolerance)."""

    def __init__(self, *values):
        self.values = sorted(set(values))

    def __repr__(self):
        return "one of %r" % (self.values,)


def _num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def value_eq(actual, expected, rel_tol):
    if isinstance(expected, OneOf):
        return any(value_eq(actual, v, rel_tol) for v in expected.values)
    if _num(actual) and _num(expected):
        if isinstance(actual, float) and math.isnan(actual):
            return isinstance(expected, float) and math.isnan(expected)
        if rel_tol and (isinstance(actual, float) or isinstance(expected, float)):
            return math.isclose(actual, expected, rel_tol=rel_tol, abs_tol=1e-12)
        return actual == expected
    if isinstance(actual, bool) or isinstance(expected, bool):
        return actual is expected
    return type(actual) is type(expected) and actual == expected


def row_eq(actual, expected, rel_tol=0.0):
    if not isinstance(actual, dict) or not isinstance(expected, dict):
        return value_eq(actual, expected, rel_tol)
    if set(actual) != set(expected):
        return False
    return all(value_eq(actual[c], expected[c], rel_tol) for c in expected)


def _fmt(row):
    return json.dumps(row, sort_keys=True, default=repr)


def check_table(what, actual, expected, rel_tol=0.0):
    """actual, expected: {key: row}.  Rows equal field by field (numbers with
    rel_tol when one of them is a double and rel_tol is set)."""
    problems = []
    for k in sorted(set(expected) - set(actual)):
        problems.append("  missing   %s: expected %s" % (k, _fmt(expected[k])))
    for k in sorted(set(actual) - set(expected)):
        problems.append("  unexpected %s: %s" % (k, _fmt(actual[k])))
    for k in sorted(set(actual) & set(expected)):
        if not row_eq(actual[k], expected[k], rel_tol):
            problems.append("  differs   %s:\n      actual   %s\n      expected %s" % (k, _fmt(actual[k]), _fmt(expected[k])))
    if problems:
        raise Failure("%s: the table differs from the expected one (%d rows vs %d expected):\n%s"
                      % (what, len(actual), len(expected), "\n".join(problems)))
    step("%s: %d rows as expected" % (what, len(actual)))


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
            problems.append("  [%d] actual   %s\n       expected %s" % (i, _fmt(a), _fmt(e)))
    if problems:
        raise Failure("%s: %d rows, %d expected; differences:\n%s"
                      % (what, len(actual), len(expected), "\n".join(problems[:40])))
    step("%s: %d rows as expected" % (what, len(actual)))


# --------------------------------------------------------------------------
# the test driver

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


def main(test):
    """Runs test(eddy, workdir): argv[1] is the eddy binary.  Exit 0 on
    success; on failure prints the reason, keeps the work directory and
    exits 1."""
    if len(sys.argv) != 2:
        print("usage: %s path/to/eddy" % sys.argv[0], file=sys.stderr)
        sys.exit(2)
    eddy = os.path.abspath(sys.argv[1])
    name = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    workdir = tempfile.mkdtemp(prefix="eddy-e2e-%s." % name)
    try:
        test(eddy, workdir)
    except Failure as e:
        print("FAIL %s: %s" % (name, e), file=sys.stderr)
        print("(work directory kept: %s)" % workdir, file=sys.stderr)
        sys.exit(1)
    except Exception:
        traceback.print_exc()
        print("ERROR %s (work directory kept: %s)" % (name, workdir), file=sys.stderr)
        sys.exit(1)
    shutil.rmtree(workdir, ignore_errors=True)
    step("%s: ok" % name)
