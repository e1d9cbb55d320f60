"""repltest — drive `eddy` (the SQL shell) in a pseudo-terminal, as a person would.

What only the REPL tests (tests/repl/) need; the broker, `eddy gen`,
producing and the test program come from the shared harness
(tests/lib/eddyharness.py).  Here:

  * Shell: the shell in a pseudo-terminal of a fixed size: send keys
    (text, Enter, Ctrl-C, Ctrl-D, arrows, Tab) and wait for a regular
    expression to appear in what the terminal shows, with a timeout,
    rather than sleeping a fixed time;
  * run_piped: the shell with stdin and stdout as pipes;
  * the statements several tests type (ORDERS, SUMMARY, INSERT).

Matching is done on the output with terminal escape sequences and carriage
returns removed.  Every wait is bounded; on failure the transcript is
printed.  Each shell gets a new HOME directory under the test's work
directory unless it is given one.
"""

import fcntl
import os
import pty
import re
import select
import signal
import struct
import tempfile
import termios
import time

from eddyharness import Failure, die_with_parent, run

CTRL_C = b"\x03"
CTRL_D = b"\x04"
UP = b"\x1b[A"
TAB = b"\t"

# CSI and OSC sequences, charset and keypad switches, carriage returns, bells.
ANSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]|\r|\x07")

ORDERS = ("CREATE TABLE orders_raw (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING) "
          "WITH ('scan.startup.mode' = 'earliest-offset');")
SUMMARY = ("CREATE TABLE orders_summary (region STRING PRIMARY KEY NOT ENFORCED, total_orders BIGINT, "
           "total_sales DOUBLE) WITH ('changelog.mode' = 'upsert');")
INSERT = ("INSERT INTO orders_summary SELECT region, COUNT(*) AS total_orders, SUM(amount) AS total_sales "
          "FROM orders_raw GROUP BY region;")


class Shell:
    """The shell in a pseudo-terminal (rows x cols), with HOME set to a new
    directory under workdir unless home is given."""

    def __init__(self, eddy, workdir, args=(), home=None, env=None, rows=40, cols=140):
        self.home = home or tempfile.mkdtemp(prefix="home.", dir=workdir)
        e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TERM": "xterm", "HOME": self.home,
             "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
             "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", ""),
             "UBSAN_OPTIONS": os.environ.get("UBSAN_OPTIONS", "")}
        if env:
            e.update(env)
        e = {k: v for k, v in e.items() if v is not None}
        pid, fd = pty.fork()
        if pid == 0:
            try:
                die_with_parent()
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
                os.execve(eddy, [eddy] + list(args), e)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.raw = b""
        self.pos = 0          # matching starts here in self.text()
        self.status = None

    def text(self):
        t = ANSI.sub(b"", self.raw).decode("utf-8", errors="replace")
        if "\b" not in t:
            return t
        out = []   # libedit wraps long lines with backspaces: apply them
        for ch in t:
            if ch != "\b":
                out.append(ch)
            elif out and out[-1] != "\n":
                out.pop()
        return "".join(out)

    def _pump(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            data = b""
        if not data:
            return None
        self.raw += data
        return True

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        os.write(self.fd, data)

    def line(self, text):
        """Types a line and presses Enter."""
        self.send(text.encode() + b"\r")

    def expect(self, pattern, timeout=15, what=None):
        """Waits until pattern (a regex) appears after the last match; returns the match."""
        rx = re.compile(pattern, re.S)
        deadline = time.monotonic() + timeout
        while True:
            t = self.text()
            m = rx.search(t, self.pos)
            if m:
                self.pos = m.end()
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure("timed out after %gs waiting for %s\n--- screen since the last match:\n%s"
                              % (timeout, what or repr(pattern), t[self.pos:][-3000:]))
            if self._pump(min(left, 0.2)) is None:
                t = self.text()
                m = rx.search(t, self.pos)
                if m:
                    self.pos = m.end()
                    return m
                raise Failure("eddy exited while waiting for %s\n--- screen since the last match:\n%s"
                              % (what or repr(pattern), t[self.pos:][-3000:]))

    def wait_for(self, pred, timeout=15, what="a condition"):
        """Waits until pred(text since the last match) is true."""
        deadline = time.monotonic() + timeout
        while not pred(self.text()[self.pos:]):
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure("timed out after %gs waiting for %s\n--- screen since the last match:\n%s"
                              % (timeout, what, self.text()[self.pos:][-3000:]))
            if self._pump(min(left, 0.2)) is None:
                raise Failure("eddy exited while waiting for %s" % what)

    def prompt(self, timeout=15):
        return self.expect(r"eddy> ", timeout, "the prompt")

    def run(self, sql, expect=None, timeout=15):
        """Types a statement; waits for `expect` (if given) and the next prompt.
        Returns the text between the statement and that prompt."""
        start = len(self.text())
        self.pos = max(self.pos, start)
        self.line(sql)
        if expect:
            self.expect(expect, timeout)
        m = self.prompt(timeout)
        return self.text()[start:m.start()]

    def wait_exit(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(st)
                while self._pump(0.05):
                    pass
                return self.status
            self._pump(0.1)
        raise Failure("eddy did not exit within %gs\n--- screen:\n%s" % (timeout, self.text()[-3000:]))

    def kill(self):
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
            self.status = -9
        try:
            os.close(self.fd)
        except OSError:
            pass


def run_piped(eddy, script, args=(), env=None, timeout=25):
    """Runs eddy with the script on stdin (pipes, no terminal), without
    EDDY_BOOTSTRAP unless env sets it.  Returns (exit status, stdout,
    stderr) as text; a sanitizer report in stderr fails the test."""
    r = run([eddy] + list(args), input=script, env=dict({"EDDY_BOOTSTRAP": None}, **(env or {})), timeout=timeout,
            expect=None)
    return r.rc, r.out, r.err
