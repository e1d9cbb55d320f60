"""eddyharness — what every Kafka-level Python test of eddy shares.

The suites under tests/ (avro, crash, e2e, repl) run real `eddy` processes
against `eddy broker` and check what lands in Kafka.  This module holds the
pieces they all need, once:

  * the test program: main (argv, a fresh work directory kept on failure,
    exit status), Failure, check, step (timestamped progress; quiet()
    silences it while polling), wait_for (a bounded poll);
  * processes: die_with_parent (nothing a test starts outlives it),
    check_sanitizer (ASan/UBSan/LSan/TSan reports in stderr fail the test),
    run (a command to its end: Ran), run_bounded (`eddy run --bounded`),
    Job (an unbounded `eddy run` in the background), gen_orders /
    start_gen_orders / finish (`eddy gen orders`); read_text, write_file
    and REPO (the source tree);
  * the broker: Broker, `eddy broker` on a free 127.0.0.1 port with
    pre-created topics; its first two stdout lines are the bootstrap
    address and the Schema Registry URL; Broker(..., brokers=N) starts a
    cluster of N, and Broker(..., control=True) runs `eddy broker
    --control`, whose fault(command) injects a fault (request errors,
    brokers down and up, latency; see `eddy broker --help`) and waits for
    its "ok";
  * records: Rec and produce (JSON, text or raw bytes, tombstones, headers,
    partitions, timestamps, optionally at a rate); read_topic (every
    partition from its start to the high watermark it had when the read
    began, as Msg), watermarks, topic_count;
  * tables: last_values (an upsert stream's final table: the last value per
    key, a tombstone deletes), fold_upsert (the same for an upsert topic
    eddy wrote, with its keys checked against its rows), canon / ukey,
    check_table (row_eq field by field, exact or with a relative tolerance
    for doubles, OneOf for values that may go either way; fmt_row for
    messages), round_half_up (Flink's ROUND of a DOUBLE).

What only one suite needs stays in that suite's own module: the REPL's
pseudo-terminal (repl/repltest.py), the crash tests' kills, upsert stream
and state-file reader (crash/crashlib.py), the retract and append folds
and phased runs (e2e/eddytest.py), the Avro clients and registry requests
(avro/avrotest.py).

ctest runs every Python test under /usr/bin/python3 (where Debian's
python3-confluent-kafka loads) with this directory on PYTHONPATH (see
eddy_python_test in tests/CMakeLists.txt).  By hand:

    PYTHONPATH=tests/lib /usr/bin/python3 tests/e2e/test_having.py build/eddy

confluent_kafka is imported only by the functions that talk to Kafka, so
a test that never does (most of the REPL's) needs nothing but the
standard library.  Every address is 127.0.0.1.
"""

import collections
import contextlib
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
from decimal import ROUND_HALF_UP, Decimal

# The top of the source tree (sql/orders.sql and the like live there).
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_T0 = time.monotonic()
_quiet = [0]


# --------------------------------------------------------------------------
# the test program

# `eddy run` takes its default parallelism from $EDDY_PARALLELISM: the tests
# that are not about parallel runs run each job as one whatever the caller's
# environment says (their state is one file).  tests/e2e/test_parallel.py
# passes --parallelism itself.
os.environ.setdefault("EDDY_PARALLELISM", "1")


class Failure(AssertionError):
    """An expectation that did not hold; the message says what."""


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def step(msg):
    """Prints a progress line with the time since the test started."""
    if not _quiet[0]:
        print("[%6.2fs] %s" % (time.monotonic() - _T0, msg), flush=True)


@contextlib.contextmanager
def quiet():
    """No step() lines inside the block (a poll would repeat them)."""
    _quiet[0] += 1
    try:
        yield
    finally:
        _quiet[0] -= 1


def wait_for(what, cond, timeout=20, job=None, interval=0.1):
    """Polls cond() until it returns a true value, which is returned; a
    Failure raised by cond() counts as "not yet" and its message as the
    last state.  Fails after timeout seconds, or at once if job (a Job) has
    exited.  This bounds how long a state may take to appear; it never
    decides that a topic has been read to its end."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        if job is not None:
            job.check_alive()
        try:
            got = cond()
        except Failure as e:
            got, last = None, str(e)
        if got:
            return got
        if time.monotonic() > deadline:
            raise Failure("timed out after %g s waiting for %s%s"
                          % (timeout, what, "; last state:\n%s" % last if last else ""))
        time.sleep(interval)


def main(tests):
    """`test_x.py EDDY` runs tests(eddy, workdir); with a dict of tests,
    `test_x.py EDDY NAME` runs tests[NAME](eddy, workdir).  workdir is a
    new temporary directory, removed when the test passes and kept (its
    path printed) when it fails.  Exits 0 on success, 1 on a failure or an
    error, 2 on a usage error."""
    named = isinstance(tests, dict)
    argv = sys.argv
    if len(argv) != (3 if named else 2) or (named and argv[2] not in tests):
        print("usage: %s path/to/eddy%s" % (argv[0], " {%s}" % "|".join(sorted(tests)) if named else ""),
              file=sys.stderr)
        sys.exit(2)
    eddy = os.path.abspath(argv[1])
    suite = os.path.basename(os.path.dirname(os.path.abspath(argv[0])))
    name = argv[2] if named else re.sub(r"^test_", "", os.path.splitext(os.path.basename(argv[0]))[0])
    test = tests[argv[2]] if named else tests
    workdir = tempfile.mkdtemp(prefix="eddy-%s-%s." % (suite, name))
    try:
        test(eddy, workdir)
    except Failure as e:
        step("FAIL %s/%s: %s" % (suite, name, e))
        print("(work directory kept: %s)" % workdir, flush=True)
        sys.exit(1)
    except Exception:
        traceback.print_exc()
        print("ERROR %s/%s (work directory kept: %s)" % (suite, name, workdir), flush=True)
        sys.exit(1)
    shutil.rmtree(workdir, ignore_errors=True)
    step("PASS %s/%s" % (suite, name))
    sys.exit(0)


# --------------------------------------------------------------------------
# processes

def die_with_parent():
    """In a child, before exec: SIGKILL when the test process dies
    (PR_SET_PDEATHSIG), so no broker, job or shell outlives a test, not even
    one killed by ctest's timeout, where no finally block runs."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    except Exception:
        pass


_SANITIZER = re.compile(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
                        r"SUMMARY: UndefinedBehaviorSanitizer|WARNING: ThreadSanitizer")


def check_sanitizer(what, text):
    """Fails if text (a process's stderr) holds a sanitizer report."""
    m = _SANITIZER.search(text)
    if m:
        raise Failure("%s reported a sanitizer error:\n%s" % (what, text[max(0, m.start() - 300):][:5000]))


def read_text(path):
    """A file's text ("" if it cannot be read)."""
    try:
        with open(path, "r", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def write_file(directory, name, text):
    """Writes DIRECTORY/NAME; returns its path."""
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text)
    return path


Ran = collections.namedtuple("Ran", "rc out err seconds")


def run(args, cwd=None, env=None, input=None, timeout=120, expect=0, note=""):
    """Runs a command to its end, stdin from `input` (text) or nothing.
    env: variables set over this process's environment (None removes one).
    Fails if it takes longer than timeout seconds, if its stderr holds a
    sanitizer report, or (unless expect is None) if its exit status is not
    expect; note is added to that message.  Returns Ran(rc, out, err,
    seconds), out and err as text; a negative rc is the signal that killed
    it."""
    what = " ".join([os.path.basename(args[0])] + list(args[1:]))
    e = dict(os.environ)
    e.update(env or {})
    e = {k: v for k, v in e.items() if v is not None}
    t0 = time.monotonic()
    try:
        cp = subprocess.run(args, cwd=cwd, env=e, input=input.encode() if input is not None else None,
                            stdin=subprocess.DEVNULL if input is None else None, capture_output=True,
                            timeout=timeout, preexec_fn=die_with_parent)
    except subprocess.TimeoutExpired as x:
        raise Failure("%s did not finish within %d s; stderr:\n%s"
                      % (what, timeout, (x.stderr or b"").decode("utf-8", "replace")[-3000:]))
    r = Ran(cp.returncode, cp.stdout.decode("utf-8", "replace"), cp.stderr.decode("utf-8", "replace"),
            time.monotonic() - t0)
    check_sanitizer(what, r.err)
    if expect is not None and r.rc != expect:
        raise Failure("%s exited with %d, expected %d\n%s--- stdout:\n%s\n--- stderr:\n%s"
                      % (what, r.rc, expect, note, r.out[-3000:], r.err[-4000:]))
    return r


def _run_args(bootstrap, sql_path, state, registry, extra):
    return ((["--state", state] if state else []) + ["--bootstrap", bootstrap]
            + (["--registry", registry] if registry else []) + list(extra) + [sql_path])


def run_bounded(eddy, bootstrap, sql_path, cwd=None, state=None, registry=None, expect=0, extra=(), timeout=60):
    """`eddy run --bounded [--state STATE] --bootstrap B [--registry R]
    EXTRA… SQL` in cwd: reads what the source topics hold now, then stops.
    Checked as run() does (the SQL is shown if the exit status is wrong).
    Returns its Ran."""
    r = run([eddy, "run", "--bounded"] + _run_args(bootstrap, sql_path, state, registry, extra),
            cwd=cwd, timeout=timeout, expect=expect,
            note="--- sql (%s):\n%s\n" % (sql_path, read_text(sql_path)))
    step("eddy run --bounded %s: exit %d in %.2f s" % (os.path.basename(sql_path), r.rc, r.seconds))
    return r


class Job:
    """An unbounded `eddy run [--state STATE] --bootstrap B EXTRA… SQL` in
    the background, started in cwd, its stderr in a file there.  Stop it
    with term() (a clean stop) and always call kill() at the end (a no-op
    once it has stopped)."""

    _n = [0]

    def __init__(self, eddy, bootstrap, sql_path, cwd, name="job", state=None, extra=()):
        Job._n[0] += 1
        self.name = "%s#%d" % (name, Job._n[0])
        self.err_path = os.path.join(cwd, "%s-%d.err" % (name, Job._n[0]))
        self._err = open(self.err_path, "wb")
        self.proc = subprocess.Popen([eddy, "run"] + _run_args(bootstrap, sql_path, state, None, extra),
                                     cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self._err, preexec_fn=die_with_parent)
        step("%s: eddy run %s started (unbounded)" % (self.name, os.path.basename(sql_path)))

    def stderr(self):
        return read_text(self.err_path)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def check_alive(self):
        """Fails if the job has exited."""
        if not self.alive():
            rc = self.proc.returncode if self.proc else None
            raise Failure("%s exited early with %s:\n%s" % (self.name, rc, self.stderr()[-4000:]))

    def term(self, timeout=20):
        """SIGTERM (a clean stop: finish the batch, flush the sinks, final
        checkpoint); it must stop within timeout seconds without a sanitizer
        report.  Returns (exit status, stderr)."""
        self.check_alive()
        # A signal that arrives before eddy installed its handlers (under
        # ASan start-up takes a moment) kills it like SIGKILL: wait until it
        # says it started (or has exited) first.
        deadline = time.time() + timeout
        while self.alive() and "started job" not in self.stderr() and time.time() < deadline:
            time.sleep(0.02)
        self.check_alive()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            rc = None
        self._close()
        err = self.stderr()
        step("%s stopped: exit %s" % (self.name, rc))
        check(rc is not None, "%s did not stop within %d s of SIGTERM:\n%s" % (self.name, timeout, err[-3000:]))
        check_sanitizer(self.name, err)
        return rc, err

    def wait(self, timeout):
        """Waits for the job to exit by itself: its exit status, or None
        if it is still running after timeout seconds."""
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self._close()
        return rc

    def kill(self):
        """SIGKILL if it still runs: no flush, no checkpoint, nothing."""
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            self._close()

    def _close(self):
        if self.proc is not None:
            self.proc = None
            self._err.close()


def _gen_args(eddy, bootstrap, topic, count, seed, rate, extra):
    return [eddy, "gen", "orders", "--topic", topic, "--count", str(count), "--seed", str(seed),
            "--rate", str(rate), "--bootstrap", bootstrap] + list(extra)


def gen_orders(eddy, bootstrap, topic, count, seed=1, rate=0, extra=()):
    """`eddy gen orders` to its end (exit 0); returns its Ran."""
    return run(_gen_args(eddy, bootstrap, topic, count, seed, rate, extra), timeout=60)


def start_gen_orders(eddy, bootstrap, topic, count, workdir, seed=1, rate=0):
    """`eddy gen orders` in the background, its stderr in a file in
    workdir; returns the Popen, to be waited for with finish()."""
    err = open(os.path.join(workdir, "gen-%s-%d.err" % (topic, seed)), "wb")
    p = subprocess.Popen(_gen_args(eddy, bootstrap, topic, count, seed, rate, ()), stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=err, preexec_fn=die_with_parent)
    p.errfile = err
    return p


def finish(proc, what, timeout=40):
    """Waits for a background process (start_gen_orders and the like, its
    stderr file in proc.errfile); it must exit 0 within timeout seconds."""
    try:
        rc = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise Failure("%s did not finish within %d s" % (what, timeout))
    text = ""
    errf = getattr(proc, "errfile", None)
    if errf is not None:
        errf.close()
        text = read_text(errf.name)
    check(rc == 0, "%s exited with %d:\n%s" % (what, rc, text[-2000:]))


# --------------------------------------------------------------------------
# the broker

class Broker:
    """`eddy broker` on 127.0.0.1 with topics = {name: partitions}
    pre-created, and its Schema Registry; a context manager:

        with Broker(eddy, workdir, {"orders_raw": 8}) as b:
            ... b.bootstrap ... b.registry ...

    brokers: the cluster's size (the bootstrap address then lists each).
    extra: more flags for `eddy broker`; start_timeout: seconds it may take
    to print its addresses (replaying a large --registry-state takes a while).
    control: start it with --control, its stdin a pipe; b.fault("down 2")
    sends one command and waits for its answer.

    Its stdout and stderr go to files in workdir.  When the block ends
    without an exception the broker must stop with exit 0 after SIGTERM and
    without a sanitizer report; after an exception its stderr's tail is
    printed."""

    def __init__(self, eddy, workdir, topics=None, brokers=1, control=False, extra=(), start_timeout=20):
        self.eddy, self.workdir, self.topics = eddy, workdir, dict(topics or {})
        self.extra = list(extra)   # more flags (--port N, --registry-port N)
        self.start_timeout = start_timeout   # seconds to print its addresses
        self.brokers, self.control = brokers, control
        self.proc = None
        self.bootstrap = self.registry = None
        self._answers = 0
        self.out_path = os.path.join(workdir, "broker.out")
        self.err_path = os.path.join(workdir, "broker.err")

    def __enter__(self):
        args = [self.eddy, "broker"] + (["--brokers", str(self.brokers)] if self.brokers != 1 else [])
        args += ["--control"] if self.control else []
        args += self.extra
        for name, n in self.topics.items():
            args += ["--topic", "%s:%d" % (name, n)]
        self._out = open(self.out_path, "wb")
        self._err = open(self.err_path, "wb")
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE if self.control else subprocess.DEVNULL,
                                     stdout=self._out, stderr=self._err, preexec_fn=die_with_parent)
        try:
            lines = self._address_lines(self.start_timeout)
        except BaseException:
            self._stop()
            raise
        check(re.fullmatch(r"127\.0\.0\.1:[0-9]+(,127\.0\.0\.1:[0-9]+){%d}" % (self.brokers - 1), lines[0]),
              "eddy broker's first line is %r, expected 127.0.0.1:PORT (once per broker)" % lines[0])
        check(re.fullmatch(r"http://127\.0\.0\.1:[0-9]+", lines[1]),
              "eddy broker's second line is %r, expected http://127.0.0.1:PORT" % lines[1])
        self.bootstrap, self.registry = lines
        step("broker at %s, schema registry at %s (topics %s)"
             % (self.bootstrap, self.registry, ", ".join("%s:%d" % kv for kv in self.topics.items()) or "-"))
        return self

    def _address_lines(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            text = read_text(self.out_path)
            if text.count("\n") >= 2:
                return [line.strip() for line in text.split("\n")[:2]]
            if self.proc.poll() is not None:
                raise Failure("eddy broker exited with %d before printing its addresses:\n%s"
                              % (self.proc.returncode, self.stderr()))
            check(time.monotonic() < deadline, "eddy broker printed %r, not two lines within %d s" % (text, timeout))
            time.sleep(0.02)

    def stderr(self):
        return read_text(self.err_path)

    def fault(self, command, timeout=10):
        """Sends one --control command (e.g. "produce-errors 3
        REQUEST_TIMED_OUT", "down 2", "rtt all 500") and waits for the
        broker's answer; fails unless it is "ok"."""
        check(self.control, "Broker.fault(%r): the broker was not started with control=True" % command)
        self.check_alive()
        self.proc.stdin.write((command + "\n").encode())
        self.proc.stdin.flush()
        self._answers += 1
        deadline = time.monotonic() + timeout
        while True:
            lines = read_text(self.out_path).split("\n")
            if len(lines) > 2 + self._answers:   # the last element is "" or a line still being written
                answer = lines[1 + self._answers]
                check(answer == "ok", "eddy broker answered %r to %r" % (answer, command))
                return
            self.check_alive()
            check(time.monotonic() < deadline, "eddy broker did not answer %r within %d s" % (command, timeout))
            time.sleep(0.01)

    def check_alive(self):
        """Fails at once if the broker has gone (on a shared machine someone
        else may have stopped it: the test cannot mean anything then)."""
        if self.proc is not None and self.proc.poll() is not None:
            raise Failure("eddy broker exited with %s during the test:\n%s"
                          % (self.proc.returncode, self.stderr()[-1500:]))

    def _stop(self):
        """SIGTERM, then wait (SIGKILL after 20 s).  Returns the exit status."""
        rc = self.proc.poll()
        if rc is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                rc = "killed (did not stop within 20 s of SIGTERM)"
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc = None
        self._out.close()
        self._err.close()
        return rc

    def __exit__(self, et, ev, tb):
        rc = self._stop()
        if et is None:
            check(rc == 0, "eddy broker exited with %s after SIGTERM:\n%s" % (rc, self.stderr()[-3000:]))
            check_sanitizer("eddy broker", self.stderr())
        elif self.stderr().strip():
            print("--- broker stderr (tail):\n" + self.stderr()[-2000:], flush=True)
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
    """A key, value or header as Rec says: JSON, text or bytes."""
    if x is None or isinstance(x, bytes):
        return x
    if isinstance(x, str):
        return x.encode("utf-8")
    return json.dumps(x, separators=(",", ":")).encode("utf-8")


def produce(bootstrap, topic, recs, rate=0):
    """Produces recs (Rec or (key, value) pairs) in order, `rate` records a
    second (0: at once), and flushes; every one must be delivered.  Returns
    [(partition, offset)] per record, in the same order."""
    from confluent_kafka import Producer
    p = Producer({
        "bootstrap.servers": bootstrap,
        "linger.ms": 5,
        "compression.codec": "lz4",
        "max.in.flight.requests.per.connection": 1,   # keep the order exact (per key, for upsert streams)
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

    t0 = time.monotonic()
    for i, r in enumerate(recs):
        if not isinstance(r, Rec):
            r = Rec(r[0], r[1])
        if rate:
            ahead = i / rate - (time.monotonic() - t0)
            if ahead > 0:
                p.poll(0)
                time.sleep(ahead)
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
# reading back

Msg = collections.namedtuple("Msg", "partition offset key value headers timestamp")


def _consumer(bootstrap):
    from confluent_kafka import Consumer
    return Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "eddy-test-reader",      # never joined: assign() only
        "enable.auto.commit": False,
        "fetch.wait.max.ms": 10,
        "queued.min.messages": 1000000,
    })


def _watermarks(c, topic):
    from confluent_kafka import TopicPartition
    t = c.list_topics(topic, timeout=10).topics.get(topic)
    if t is None or t.error is not None:
        return {}
    return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False)
            for p in sorted(t.partitions)}


def watermarks(bootstrap, topic):
    """{partition: (low, high)} of a topic ({} if it does not exist)."""
    c = _consumer(bootstrap)
    try:
        return _watermarks(c, topic)
    finally:
        c.close()


def topic_count(bootstrap, topic):
    """Records a topic holds now (sum over partitions of high - low)."""
    return sum(hi - lo for lo, hi in watermarks(bootstrap, topic).values())


def read_topic(bootstrap, topic, timeout=30):
    """Every record of topic, [Msg], from the beginning of each partition
    to the high watermark it had when this call started, in (partition,
    offset) order.  A topic that does not exist reads as empty."""
    from confluent_kafka import TopicPartition
    c = _consumer(bootstrap)
    try:
        need = {p: (lo, hi) for p, (lo, hi) in _watermarks(c, topic).items() if hi > lo}
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
                got[p].append(Msg(p, o, m.key(), m.value(), list(m.headers() or []), m.timestamp()[1]))
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


# --------------------------------------------------------------------------
# tables

def canon(obj):
    """A canonical, hashable text for a JSON value (keys sorted)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def ukey(**cols):
    """The key fold_upsert gives a row, e.g. ukey(region='eu')."""
    return canon(cols)


def last_values(pairs):
    """An upsert stream's final table {key: value} from (key, value) pairs
    in order: the last value per key wins, a value of None (a tombstone)
    deletes the key."""
    table = {}
    for k, v in pairs:
        if v is None:
            table.pop(k, None)
        else:
            table[k] = v
    return table


def _exact_json(data):
    # Numbers stay the text eddy wrote, as ("num", text): doubles are then
    # compared bit for bit (eddy writes the shortest text that reads back
    # as the same double).
    return json.loads(data, parse_float=lambda s: ("num", s), parse_int=lambda s: ("num", s))


def fold_upsert(msgs, what="upsert topic", exact=False):
    """An upsert topic's final table {canon(key object): row}: the key is
    the JSON of the primary-key columns, the value the row, a null value (a
    tombstone) deletes the key.  Every key must be a JSON object whose
    columns equal the row's.  exact: numbers stay ("num", text)."""
    parse = _exact_json if exact else json.loads

    def parsed(m, which, data):
        try:
            return parse(data)
        except Exception as e:
            raise Failure("%s: %s at partition %d offset %d is not JSON (%s): %r"
                          % (what, which, m.partition, m.offset, e, data))

    def pairs():
        for m in msgs:
            check(m.key is not None,
                  "%s: a record without a key at partition %d offset %d" % (what, m.partition, m.offset))
            k = parsed(m, "key", m.key)
            check(isinstance(k, dict) and k, "%s: key %r is not a JSON object" % (what, m.key))
            if m.value is None:
                yield canon(k), None
                continue
            row = parsed(m, "value", m.value)
            check(isinstance(row, dict), "%s: value %r is not a JSON object" % (what, m.value))
            for col, v in k.items():
                check(col in row and row[col] == v,
                      "%s: at partition %d offset %d the key %s does not match the value %s"
                      % (what, m.partition, m.offset, m.key, m.value))
            yield canon(k), row
    return last_values(pairs())


class OneOf:
    """An expected value that may be any of several (e.g. a ROUND whose
    input sits on a rounding boundary within the tolerance)."""

    def __init__(self, *values):
        self.values = sorted(set(values))

    def __repr__(self):
        return "one of %r" % (self.values,)


def _num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def value_eq(actual, expected, rel_tol=0.0):
    """Equal values: numbers by value (doubles within rel_tol when it is
    set; NaN equals NaN), booleans only to booleans, anything else by type
    and value."""
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


def row_eq(actual, expected, rel_tol=0.0, columns=None):
    """Rows (dicts) equal column by column (only `columns` when given);
    anything else as value_eq."""
    if not isinstance(actual, dict) or not isinstance(expected, dict):
        return value_eq(actual, expected, rel_tol)
    if columns is None:
        if set(actual) != set(expected):
            return False
        columns = expected
    missing = object()
    return all(value_eq(actual.get(c, missing), expected.get(c, missing), rel_tol) for c in columns)


def fmt_row(row):
    return json.dumps(row, sort_keys=True, default=repr)


def check_table(what, actual, expected, rel_tol=0.0, columns=None):
    """actual, expected: {key: row}.  The same keys, and rows equal by
    row_eq (doubles within rel_tol when it is set; only `columns` when
    given)."""
    problems = []
    for k in sorted(set(expected) - set(actual)):
        problems.append("  missing    %s: expected %s" % (k, fmt_row(expected[k])))
    for k in sorted(set(actual) - set(expected)):
        problems.append("  unexpected %s: %s" % (k, fmt_row(actual[k])))
    for k in sorted(set(actual) & set(expected)):
        if not row_eq(actual[k], expected[k], rel_tol, columns):
            problems.append("  differs    %s:\n      actual   %s\n      expected %s"
                            % (k, fmt_row(actual[k]), fmt_row(expected[k])))
    if problems:
        raise Failure("%s: the table differs from the expected one (%d rows vs %d expected):\n%s"
                      % (what, len(actual), len(expected), "\n".join(problems[:60])))
    step("%s: %d rows as expected" % (what, len(actual)))


def tables_match(*checks, rel_tol=0.0):
    """A condition for wait_for: checks are (what, read, expected) with
    read() giving {key: row}; true when every table equals its expectation
    (check_table), else check_table's Failure, so that a timeout shows which
    rows of which table were missing, unexpected or different."""
    def cond():
        with quiet():
            for what, read, expected in checks:
                check_table(what, read(), expected, rel_tol)
        return True
    return cond


def round_half_up(x, n):
    """ROUND(x, n) for a DOUBLE the way Flink does it: on the decimal value
    of the double's shortest representation, ties away from zero (so
    ROUND(2.675, 2) = 2.68)."""
    if x is None:
        return None
    return float(Decimal(repr(x)).quantize(Decimal(1).scaleb(-n), rounding=ROUND_HALF_UP))
