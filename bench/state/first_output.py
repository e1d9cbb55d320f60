#!/usr/bin/python3
"""first_output.py — wall time from starting `eddy run` to its first output.

    /usr/bin/python3 bench/state/first_output.py BOOTSTRAP SINK_TOPIC -- eddy run ...

Positions a consumer at the end of every partition of SINK_TOPIC, then
starts the command and waits for the first record to arrive on the topic:
that is when a restarted job is visibly processing again.  Then stops the
job with SIGTERM and prints one line: the wall time to the first output and
the state rows / load time the job reported on stderr.
"""

import re
import signal
import subprocess
import sys
import threading
import time

from confluent_kafka import Consumer, TopicPartition


def main():
    if len(sys.argv) < 5 or "--" not in sys.argv:
        print(__doc__, file=sys.stderr)
        return 2
    bootstrap, topic = sys.argv[1], sys.argv[2]
    cmd = sys.argv[sys.argv.index("--") + 1:]
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "first-output", "enable.auto.commit": False,
                  "fetch.wait.max.ms": 5})
    md = c.list_topics(topic, timeout=10)
    parts = sorted(md.topics[topic].partitions)
    tps = []
    for p in parts:
        lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False)
        tps.append(TopicPartition(topic, p, hi))
    c.assign(tps)
    c.consume(100, 0.3)                     # connections and fetch sessions up before the clock starts
    t0 = time.monotonic()
    job = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    lines = []                              # (seconds since start, stderr line)

    def reader():
        for raw in job.stderr:
            lines.append((time.monotonic() - t0, raw.decode("utf-8", "replace")))
    rt = threading.Thread(target=reader, daemon=True)
    rt.start()
    first = None
    while time.monotonic() - t0 < 20 and first is None:
        for m in c.consume(1000, 0.05):
            if m.error() is None:
                first = time.monotonic() - t0
                break
        if job.poll() is not None:
            break
    if job.poll() is None:
        job.send_signal(signal.SIGTERM)
    job.wait(30)
    rt.join(5)
    err = "".join(text for t, text in lines)
    started = [t for t, text in lines if "started job" in text]
    c.close()
    m = re.search(r"\((\d+) state rows loaded in ([0-9.]+) ms\)", err)
    print("first_output_ms=%s state_rows=%s load_ms=%s started_line_ms=%s exit=%d" % (
        "%.0f" % (first * 1e3) if first is not None else "none", m.group(1) if m else "?", m.group(2) if m else "?",
        "%.0f" % (started[0] * 1e3) if started else "?", job.returncode))
    if first is None:
        sys.stderr.write(err)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
