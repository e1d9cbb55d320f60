"""e2e/demo — `eddy demo` keeps where things are and how fast they go on
screen: every frame starts with the broker's address, the orders/s being
produced and the records/s the job reads, and lists orders_summary's rows
sorted by region.  Through a pipe a block per second; on a terminal (a
pseudo-terminal here) each frame is drawn from the top of the screen, so
the header stays visible while the table updates."""

import os
import pty
import re
import select
import time

from eddyharness import check, die_with_parent, main, run, step

HEAD = re.compile(r"eddy demo: broker (127\.0\.0\.1:\d+)\n"
                  r"orders_raw: (\d+) orders/s produced \(--rate 300; (\d+) in all\); "
                  r"the job: (\d+) records/s read \((\d+) in all\); \d+ s; Ctrl-C stops\n\n"
                  r"region +total_orders +total_sales +avg_order_value\n((?:[a-z-]+ +\d+ +[0-9.]+ +[0-9.]+\n)*)\(all\) +(\d+)\n")


def frames(text):
    return [m for m in HEAD.finditer(text)]


def regions(m):
    return [line.split()[0] for line in m.group(6).strip().split("\n") if line]


def test(eddy, workdir):
    out = run([eddy, "demo", "--seconds", "4", "--rate", "300", "--http", "none"], cwd=workdir, timeout=90).out
    first = re.search(r"development broker at (127\.0\.0\.1:\d+)", out)
    check(first, "the first line: %r" % out[:300])
    fs = frames(out)
    check(len(fs) >= 3, "expected a frame per second with its header, got %d:\n%s" % (len(fs), out[-2500:]))
    check(all(f.group(1) == first.group(1) for f in fs), "a frame without the broker's address")
    last = fs[-1]
    check(int(last.group(2)) > 0 and int(last.group(4)) > 0, "rates in the last frame: %r" % last.group(0)[:200])
    check(len(regions(last)) >= 4 and regions(last) == sorted(regions(last)), "rows not sorted by region: %r" % regions(last))
    step("through a pipe: %d frames, each with broker %s and the rates; rows sorted" % (len(fs), first.group(1)))

    pid, fd = pty.fork()
    if pid == 0:
        try:
            die_with_parent()
            os.chdir(workdir)
            os.execv(eddy, [eddy, "demo", "--seconds", "4", "--rate", "300", "--http", "none"])
        finally:
            os._exit(127)
    raw = b""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            if not data:
                break
            raw += data
    _, st = os.waitpid(pid, 0)
    os.close(fd)
    check(os.waitstatus_to_exitcode(st) == 0, "eddy demo on a terminal exited %s:\n%r" % (st, raw[-1500:]))
    screens = raw.decode("utf-8", "replace").split("\x1b[H")[1:]
    check(len(screens) >= 3, "expected frames drawn from the top of the screen: %r" % raw[-1500:])
    clean = [re.sub(r"\x1b\[[0-9;]*[A-Za-z]|\r", "", sc) for sc in screens]
    check(all(c.startswith("eddy demo: broker ") for c in clean), "a frame that does not start with the header: %r" % clean[-1][:300])
    m = HEAD.match(clean[-2])
    check(m and regions(m) == sorted(regions(m)) and int(m.group(4)) > 0, "the terminal's frame: %r" % clean[-2][:800])
    step("on a terminal: %d frames drawn from the top, each starting with the header" % len(screens))


main(test)
