"""crashlib — what only the crash and restart tests (tests/crash/) need.

The broker, jobs, producing, reading back and comparing come from the
shared harness (tests/lib/eddyharness.py).  Here:

  * kill9: SIGKILL a running Job (no flush, no checkpoint, nothing);
  * the upsert stream: upsert_records (updates and tombstones, the same for
    a seed), produced at a rate by a child process (upsert_stream, which
    runs this file as `crashlib.py gen-upsert …`);
  * what eddy says on stderr: stop_counts (the 'stopped: …' line) and
    resumed_rows (the 'resumes from …' line);
  * state_info: what a state file's last checkpoint holds (read from a copy,
    so the test never disturbs the file the next run opens).
"""

import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

from eddyharness import check, check_sanitizer, die_with_parent, produce


def kill9(job):
    """SIGKILL a running job: no flush, no checkpoint, nothing."""
    job.check_alive()
    job.kill()
    check_sanitizer(job.name, job.stderr())


_STOPPED = re.compile(r"(?:stopped|finished): (\d+) records in, (\d+) changes out, (\d+) records written")
_RESUMES = re.compile(r"resumes from (\S+) \((\d+) state rows loaded in ([0-9.]+) ms\)")


def stop_counts(err):
    """(records in, changes out, records written) from the stop line of stderr."""
    m = _STOPPED.search(err)
    check(m, "no 'stopped|finished: N records in …' line in stderr:\n%s" % err[-3000:])
    return tuple(int(x) for x in m.groups())


def resumed_rows(err):
    """State rows loaded at start (from the 'resumes from' line), or None."""
    m = _RESUMES.search(err)
    return int(m.group(2)) if m else None


# --------------------------------------------------------------------------
# the upsert stream

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


def upsert_stream(bootstrap, topic, seed, count, ids, groups, rate, workdir):
    """The upsert stream produced at a rate by a child process; returns the
    Popen, to be waited for with eddyharness.finish()."""
    err = open(os.path.join(workdir, "upsert-gen-%s.err" % topic), "wb")
    p = subprocess.Popen([sys.executable, os.path.abspath(__file__), "gen-upsert", bootstrap, topic,
                          str(seed), str(count), str(ids), str(groups), str(rate)],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, preexec_fn=die_with_parent)
    p.errfile = err
    return p


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
            if not db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'eddy_meta'").fetchone():
                # killed after it created the file, before its tables (an
                # empty job.db: a kill during a slow start on a loaded machine)
                return {"checkpoint": None, "offsets": {}, "rows": 0}
            row = db.execute("SELECT value FROM eddy_meta WHERE key = 'checkpoint'").fetchone()
            offs = {(t, p): o for t, p, o in db.execute("SELECT topic, partition, next_offset FROM eddy_offsets")}
            rows = db.execute("SELECT count(*) FROM eddy_current").fetchone()[0]
        finally:
            db.close()
        return {"checkpoint": int(row[0]) if row else None, "offsets": offs, "rows": rows}
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "gen-upsert":
    _bs, _topic, _seed, _count, _ids, _groups, _rate = sys.argv[2:9]
    produce(_bs, _topic, upsert_records(int(_seed), int(_count), int(_ids), int(_groups)), rate=float(_rate))
