"""crashlib — helpers of eddy's crash and restart tests (tests/crash/).

What the tests need and nothing more:

  * Broker: `eddy broker` on 127.0.0.1 with pre-created topics, stopped on
    every path (and killed with the test process, via PR_SET_PDEATHSIG);
  * Job: an unbounded `eddy run` in the background that can be killed with
    SIGKILL at any moment or stopped cleanly with SIGTERM; run_bounded for
    `eddy run --bounded` to the end of what the topics hold;
  * the streams: `eddy gen orders --rate` in the background (gen_orders),
    and an upsert stream with updates and tombstones produced at a rate by
    this very file run as a program (upsert_stream, `crashlib.py gen-upsert`);
  * reading back: read_topic (every partition up to the high watermark it
    had when the read started), fold_upsert (the final table of an upsert
    topic: last value per key, a tombstone deletes), compare_tables (exact:
    numbers are compared as the JSON text eddy wrote, so doubles are
    compared bit for bit);
  * state_info: what a state file's last checkpoint holds (read from a copy,
    so the test never disturbs the file the next run opens).

Only confluent_kafka (Debian's python3-confluent-kafka, importable from
/usr/bin/python3) and the standard library are used.  Every address is
127.0.0.1.
"""

import ctypes
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

from confluent_kafka import Consumer, Producer, TopicPartition

_T0 = time.monotonic()


class Failure(AssertionError):
    """An expectation that did not hold; the message says what."""


def log(msg):
    print("[%6.2fs] %s" % (time.monotonic() - _T0, msg), flush=True)


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def _die_with_parent():
    # PR_SET_PDEATHSIG = 1: no broker, generator or job outlives the test,
    # not even when ctest kills it on a timeout.
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    except Exception:
        pass


_SANITIZER = re.compile(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
                        r"SUMMARY: UndefinedBehaviorSanitizer|WARNING: ThreadSanitizer")


def check_sanitizer(what, text):
    m = _SANITIZER.search(text)
    if m:
        raise Failure("%s reported a sanitizer error:\n%s" % (what, text[max(0, m.start() - 300):][:5000]))


def read_text(path):
    try:
        with open(path, "r", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


# --------------------------------------------------------------------------
# the broker

class Broker:
    """`eddy broker --topic NAME:N …`; use as a context manager."""

    def __init__(self, eddy, workdir, topics):
        self.eddy, self.workdir, self.topics = eddy, workdir, dict(topics)
        self.proc = None
        self.bootstrap = None
        self.out_path = os.path.join(workdir, "broker.out")
        self.err_path = os.path.join(workdir, "broker.err")

    def __enter__(self):
        args = [self.eddy, "broker"]
        for name, n in self.topics.items():
            args += ["--topic", "%s:%d" % (name, n)]
        self._out = open(self.out_path, "wb")
        self._err = open(self.err_path, "wb")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self._out, stderr=self._err,
                                     preexec_fn=_die_with_parent)
        deadline = time.monotonic() + 15
        while True:
            data = read_text(self.out_path)
            if "\n" in data:
                line = data.split("\n", 1)[0].strip()
                break
            if self.proc.poll() is not None:
                raise Failure("eddy broker exited with %d before printing its address:\n%s"
                              % (self.proc.returncode, read_text(self.err_path)))
            check(time.monotonic() < deadline, "eddy broker printed no address within 15 s")
            time.sleep(0.02)
        check(re.fullmatch(r"127\.0\.0\.1:[0-9]+", line), "eddy broker's first line is %r" % line)
        self.bootstrap = line
        log("broker at %s (topics %s)" % (line, ", ".join("%s:%d" % kv for kv in self.topics.items())))
        return self

    def check_alive(self):
        """Fails at once if the broker has gone (on a shared machine someone
        else may have stopped it: the test cannot mean anything then)."""
        if self.proc is not None and self.proc.poll() is not None:
            raise Failure("eddy broker exited with %s during the test:\n%s"
                          % (self.proc.returncode, read_text(self.err_path)[-1500:]))

    def __exit__(self, et, ev, tb):
        rc = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                rc = "killed (no exit within 10 s of SIGTERM)"
            self._out.close()
            self._err.close()
            self.proc = None
        if et is None:
            check(rc == 0, "eddy broker exited with %s after SIGTERM:\n%s" % (rc, read_text(self.err_path)[-3000:]))
            check_sanitizer("eddy broker", read_text(self.err_path))
        return False


# --------------------------------------------------------------------------
# running eddy

class Job:
    """An unbounded `eddy run --state STATE --bootstrap B SQL` in the background."""

    _n = [0]

    def __init__(self, eddy, bootstrap, sql_path, state, workdir, name="job", extra=()):
        Job._n[0] += 1
        self.name = "%s#%d" % (name, Job._n[0])
        self.err_path = os.path.join(workdir, "%s-%d.err" % (name, Job._n[0]))
        self._err = open(self.err_path, "wb")
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen([eddy, "run", "--state", state, "--bootstrap", bootstrap] + list(extra) + [sql_path],
                                     cwd=workdir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self._err, preexec_fn=_die_with_parent)

    def stderr(self):
        return read_text(self.err_path)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def check_alive(self):
        if not self.alive():
            rc = self.proc.returncode if self.proc else None
            raise Failure("%s exited early with %s:\n%s" % (self.name, rc, self.stderr()[-4000:]))

    def kill9(self):
        """SIGKILL: no flush, no checkpoint, nothing."""
        self.check_alive()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self._close()
        check_sanitizer(self.name, self.stderr())

    def term(self, timeout=20):
        """SIGTERM (a clean stop); returns (exit status, stderr)."""
        self.check_alive()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = None
        self._close()
        err = self.stderr()
        check(rc is not None, "%s did not stop within %d s of SIGTERM:\n%s" % (self.name, timeout, err[-3000:]))
        check_sanitizer(self.name, err)
        return rc, err

    def wait(self, timeout):
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self._close()
        return rc

    def _close(self):
        if self.proc is not None:
            self.proc = None
            self._err.close()

    def cleanup(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            self._close()


def run_eddy(eddy, args, workdir, timeout=50):
    """Runs `eddy ARGS` to its end; returns (exit status, stdout, stderr).
    A status < 0 is the signal that killed it."""
    t0 = time.monotonic()
    try:
        cp = subprocess.run([eddy] + list(args), cwd=workdir, stdin=subprocess.DEVNULL, capture_output=True,
                            timeout=timeout, preexec_fn=_die_with_parent)
    except subprocess.TimeoutExpired as e:
        raise Failure("eddy %s did not finish within %d s; stderr:\n%s"
                      % (" ".join(args), timeout, (e.stderr or b"").decode("utf-8", "replace")[-3000:]))
    err = cp.stderr.decode("utf-8", "replace")
    check_sanitizer("eddy %s" % " ".join(args), err)
    return cp.returncode, cp.stdout.decode("utf-8", "replace"), err, time.monotonic() - t0


def run_bounded(eddy, bootstrap, sql_path, state, workdir, expect_rc=0, extra=(), timeout=50):
    """`eddy run --bounded --state STATE …`: reads what the topics hold now, then stops."""
    rc, out, err, dt = run_eddy(eddy, ["run", "--bounded", "--state", state, "--bootstrap", bootstrap]
                                + list(extra) + [sql_path], workdir, timeout)
    log("eddy run --bounded %s (state %s): exit %d in %.2f s" % (os.path.basename(sql_path), os.path.basename(state), rc, dt))
    if expect_rc is not None and rc != expect_rc:
        raise Failure("eddy run --bounded %s exited with %d, expected %d:\n%s"
                      % (sql_path, rc, expect_rc, err[-4000:]))
    return rc, err


_STOPPED = re.compile(r"stopped: (\d+) records in, (\d+) changes out, (\d+) records written")
_RESUMES = re.compile(r"resumes from (\S+) \((\d+) state rows loaded in ([0-9.]+) ms\)")


def stop_counts(err):
    """(records in, changes out, records written) from the stop line of stderr."""
    m = _STOPPED.search(err)
    check(m, "no 'stopped: N records in …' line in stderr:\n%s" % err[-3000:])
    return tuple(int(x) for x in m.groups())


def resumed_rows(err):
    """State rows loaded at start (from the 'resumes from' line), or None."""
    m = _RESUMES.search(err)
    return int(m.group(2)) if m else None


def write_sql(workdir, name, text):
    path = os.path.join(workdir, name)
    with open(path, "w") as f:
        f.write(text)
    return path


# --------------------------------------------------------------------------
# the streams

def gen_orders(eddy, bootstrap, topic, count, seed, rate=0, users=None, workdir=None):
    """`eddy gen orders` in the background; returns the Popen."""
    args = [eddy, "gen", "orders", "--topic", topic, "--count", str(count), "--seed", str(seed),
            "--rate", str(rate), "--bootstrap", bootstrap]
    if users:
        args += ["--users", str(users)]
    err = open(os.path.join(workdir or tempfile.gettempdir(), "gen-%s-%d.err" % (topic, seed)), "wb")
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                         preexec_fn=_die_with_parent)
    p._errfile = err
    return p


def finish(proc, what, timeout=40):
    """Waits for a background generator; it must exit 0."""
    try:
        rc = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise Failure("%s did not finish within %d s" % (what, timeout))
    errf = getattr(proc, "_errfile", None)
    text = ""
    if errf is not None:
        errf.close()
        text = read_text(errf.name)
    check(rc == 0, "%s exited with %d:\n%s" % (what, rc, text[-2000:]))


def upsert_records(seed, count, ids, groups):
    """The upsert stream: (key, value) JSON texts; value None = tombstone.
    Deterministic for a seed.  About 12 % are tombstones (some of keys that
    are already deleted or never existed); the rest move an id to a random
    group with a new value — so groups grow, shrink, empty and refill."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        i = rng.randint(1, ids)
        key = json.dumps({"id": i}, separators=(",", ":"))
        if rng.random() < 0.12:
            out.append((key, None))
            continue
        row = {"id": i, "grp": "g%02d" % rng.randrange(groups),
               "v": round(rng.uniform(-50.0, 500.0), 2),
               "qty": None if rng.random() < 0.05 else rng.randint(0, 1000),
               "name": "".join(rng.choice("abcdefghij") for _ in range(rng.randint(1, 12)))}
        out.append((key, json.dumps(row, separators=(",", ":"))))
    return out


def _producer(bootstrap):
    return Producer({
        "bootstrap.servers": bootstrap,
        "linger.ms": 5,
        "compression.codec": "lz4",
        "max.in.flight.requests.per.connection": 1,   # per-key order is the point of an upsert stream
    })


def produce(bootstrap, topic, records, rate=0):
    """Produces (key, value) pairs in order, rate per second (0 = at once), and flushes."""
    p = _producer(bootstrap)
    errors = []

    def cb(err, msg):
        if err is not None:
            errors.append(str(err))

    t0 = time.monotonic()
    for n, (k, v) in enumerate(records):
        if rate:
            ahead = n / rate - (time.monotonic() - t0)
            if ahead > 0:
                p.poll(0)
                time.sleep(ahead)
        while True:
            try:
                p.produce(topic, key=k.encode() if k is not None else None,
                          value=v.encode() if v is not None else None, on_delivery=cb)
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
    left = p.flush(30)
    check(left == 0, "%d records to %s not delivered within 30 s" % (left, topic))
    check(not errors, "delivery to %s failed: %s" % (topic, "; ".join(errors[:5])))


def upsert_stream(bootstrap, topic, seed, count, ids, groups, rate, workdir):
    """The upsert stream produced at a rate by a child process; returns the Popen."""
    err = open(os.path.join(workdir, "upsert-gen-%s.err" % topic), "wb")
    p = subprocess.Popen([sys.executable, os.path.abspath(__file__), "gen-upsert", bootstrap, topic,
                          str(seed), str(count), str(ids), str(groups), str(rate)],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, preexec_fn=_die_with_parent)
    p._errfile = err
    return p


# --------------------------------------------------------------------------
# reading back

def _consumer(bootstrap):
    return Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "eddy-crash-reader",      # never joined: assign() only
        "enable.auto.commit": False,
        "fetch.wait.max.ms": 10,
        "queued.min.messages": 1000000,
    })


def watermarks(bootstrap, topic):
    """{partition: (low, high)} of a topic ({} if it does not exist)."""
    c = _consumer(bootstrap)
    try:
        md = c.list_topics(topic, timeout=10)
        t = md.topics.get(topic)
        if t is None or t.error is not None:
            return {}
        return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False) for p in sorted(t.partitions)}
    finally:
        c.close()


def topic_count(bootstrap, topic):
    """Records a topic holds now (sum over partitions of high - low)."""
    return sum(hi - lo for lo, hi in watermarks(bootstrap, topic).values())


def read_topic(bootstrap, topic, timeout=30):
    """[(partition, offset, key bytes, value bytes)] from the start of each
    partition up to the high watermark it had when the call started."""
    c = _consumer(bootstrap)
    try:
        md = c.list_topics(topic, timeout=10)
        t = md.topics.get(topic)
        if t is None or t.error is not None:
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
            check(time.monotonic() < deadline, "reading %s: only reached %s of %s within %d s"
                  % (topic, pos, {p: hi for p, (lo, hi) in need.items()}, timeout))
            for m in c.consume(10000, 0.2):
                if m.error() is not None:
                    raise Failure("reading %s: %s" % (topic, m.error()))
                p, o = m.partition(), m.offset()
                if p not in need or o >= need[p][1]:
                    continue
                got[p].append((p, o, m.key(), m.value()))
                pos[p] = o + 1
        out = []
        for p in sorted(got):
            out.extend(got[p])
        return out
    finally:
        c.close()


def _exact_json(data):
    # Numbers stay the text eddy wrote: doubles are then compared bit for
    # bit (eddy writes the shortest text that reads back as the same double).
    return json.loads(data, parse_float=lambda s: ("num", s), parse_int=lambda s: ("num", s))


def fold_upsert(msgs, what="topic"):
    """An upsert topic's final table {key text: {column: value}}: the last
    value per key wins, a tombstone deletes the key.  Keys are the JSON of
    the key columns, put in canonical form; every key must match its row."""
    table = {}
    for p, o, k, v in msgs:
        check(k is not None, "%s: a record without a key at partition %d offset %d" % (what, p, o))
        key = _exact_json(k)
        check(isinstance(key, dict) and key, "%s: key %r is not a JSON object" % (what, k))
        ck = json.dumps(key, sort_keys=True)
        if v is None:
            table.pop(ck, None)
            continue
        row = _exact_json(v)
        check(isinstance(row, dict), "%s: value %r is not a JSON object" % (what, v))
        for col, val in key.items():
            check(row.get(col) == val, "%s: at partition %d offset %d the key %s does not match the value %s"
                  % (what, p, o, k, v))
        table[ck] = row
    return table


def _show(x):
    if isinstance(x, tuple) and len(x) == 2 and x[0] == "num":
        return x[1]
    return json.dumps(x)


# Doubles must be equal bit for bit.  Set only if eddy's SUM/AVG over
# DOUBLE depended on the order in which partitions interleave (they do not:
# eddy sums doubles exactly, see src/exec/agg.c dd_add).
# TODO: keep None; a tolerance here would hide lost or doubled records.
DOUBLE_RTOL = None


def compare_tables(actual, expected, what, columns=None):
    """Checks two folded tables are equal (column by column, numbers as
    text).  `columns`: compare only these.  Raises Failure listing the
    differences."""
    diffs = []
    for k in sorted(set(actual) | set(expected)):
        a, e = actual.get(k), expected.get(k)
        if a is None or e is None:
            diffs.append("key %s: %s, expected %s" % (k, "absent" if a is None else json.dumps(a, default=str),
                                                      "absent" if e is None else json.dumps(e, default=str)))
            continue
        cols = columns or sorted(set(a) | set(e))
        for c in cols:
            av, ev = a.get(c, "<missing>"), e.get(c, "<missing>")
            if av == ev:
                continue
            if DOUBLE_RTOL is not None and isinstance(av, tuple) and isinstance(ev, tuple):
                fa, fe = float(av[1]), float(ev[1])
                if abs(fa - fe) <= DOUBLE_RTOL * max(abs(fa), abs(fe)):
                    log("WARNING (TODO tighten): %s key %s column %s: %s vs %s, within %g" % (what, k, c, av[1], ev[1], DOUBLE_RTOL))
                    continue
            diffs.append("key %s column %s: %s, expected %s" % (k, c, _show(av), _show(ev)))
    if diffs:
        raise Failure("%s differs from the uninterrupted run in %d place(s) (%d vs %d keys):\n  %s"
                      % (what, len(diffs), len(actual), len(expected), "\n  ".join(diffs[:40])))


# --------------------------------------------------------------------------
# state files

def state_info(path):
    """{'checkpoint': n or None, 'offsets': {(topic, partition): next}, 'rows': n}
    of a state file, read from a copy (with its -wal), so that reading never
    checkpoints or otherwise changes the file itself."""
    for attempt in range(5):
        try:
            return _state_info(path)
        except sqlite3.DatabaseError:
            # Copied while a running job wrote it (only ever polled that
            # way while waiting for progress): try again.
            if attempt == 4:
                raise
            time.sleep(0.05)


def _state_info(path):
    if not os.path.exists(path):
        return {"checkpoint": None, "offsets": {}, "rows": 0}
    d = tempfile.mkdtemp(prefix="crash-state-")
    try:
        cp = os.path.join(d, "s.db")
        shutil.copyfile(path, cp)
        if os.path.exists(path + "-wal"):
            shutil.copyfile(path + "-wal", cp + "-wal")
        db = sqlite3.connect(cp)
        try:
            row = db.execute("SELECT value FROM eddy_meta WHERE key = 'checkpoint'").fetchone()
            offs = {(t, p): o for t, p, o in db.execute("SELECT topic, partition, next_offset FROM eddy_offsets")}
            rows = db.execute("SELECT count(*) FROM eddy_current").fetchone()[0]
        finally:
            db.close()
        return {"checkpoint": int(row[0]) if row else None, "offsets": offs, "rows": rows}
    finally:
        shutil.rmtree(d, ignore_errors=True)


# --------------------------------------------------------------------------
# test programs

def main(tests, argv):
    """`test.py EDDY NAME`: runs tests[NAME](eddy, workdir) in a fresh
    temporary directory (kept, and named, if the test fails)."""
    if len(argv) != 3 or argv[2] not in tests:
        print("usage: %s path/to/eddy {%s}" % (argv[0], "|".join(sorted(tests))), file=sys.stderr)
        return 2
    eddy = os.path.abspath(argv[1])
    workdir = tempfile.mkdtemp(prefix="eddy-crash-%s-" % argv[2])
    ok = False
    try:
        tests[argv[2]](eddy, workdir)
        ok = True
        log("PASS %s" % argv[2])
        return 0
    except Failure as e:
        log("FAIL %s: %s" % (argv[2], e))
        print("(files kept in %s)" % workdir, flush=True)
        return 1
    finally:
        if ok:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "gen-upsert":
    _bs, _topic, _seed, _count, _ids, _groups, _rate = sys.argv[2:9]
    produce(_bs, _topic, upsert_records(int(_seed), int(_count), int(_ids), int(_groups)), rate=float(_rate))
