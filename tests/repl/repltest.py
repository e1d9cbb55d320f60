"""repltest — drive `eddy` (the SQL shell) in a pseudo-terminal, as a person would.

Each test in tests/repl/ is run by ctest as

    /usr/bin/python3 tests/repl/test_<name>.py path/to/eddy

and uses this module to:

  * start `eddy broker` on 127.0.0.1 (it picks a free port and prints it)
    and stop it again (Broker, a context manager);
  * produce reference orders with `eddy gen` (gen_orders);
  * open the shell in a pseudo-terminal of a fixed size (Shell): send keys
    (text, Enter, Ctrl-C, Ctrl-D, arrows, Tab) and wait for a regular
    expression to appear in what the terminal shows, with a timeout,
    rather than sleeping a fixed time;
  * run the shell with stdin and stdout as pipes (run_piped).

Matching is done on the output with terminal escape sequences and carriage
returns removed.  Every wait is bounded; on failure the transcript is
printed.  Scratch files (HOME directories) live under one directory per
test process, removed when it exits.  Only the standard library is used.
"""

import atexit
import ctypes
import fcntl
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
import traceback

__all__ = ["Failure", "Broker", "Shell", "gen_orders", "run_piped", "check", "main", "step", "scratch",
           "CTRL_C", "CTRL_D", "UP", "TAB", "ANSI"]

CTRL_C = b"\x03"
CTRL_D = b"\x04"
UP = b"\x1b[A"
TAB = b"\t"

# CSI and OSC sequences, charset and keypad switches, carriage returns, bells.
ANSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]|\r|\x07")

_T0 = time.monotonic()
_SCRATCH = []


def scratch():
    """A scratch directory for this test process, removed when it exits."""
    if not _SCRATCH:
        _SCRATCH.append(tempfile.mkdtemp(prefix="eddy-repl-test."))
        atexit.register(shutil.rmtree, _SCRATCH[0], True)
    return _SCRATCH[0]


def _die_with_parent():
    """In a child: get SIGTERM when the test process dies (so a killed test
    leaves no broker or shell behind)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except Exception:
        pass


class Failure(AssertionError):
    """A test expectation that did not hold."""


def step(msg):
    print("[%6.2fs] %s" % (time.monotonic() - _T0, msg), flush=True)


def check(cond, msg):
    if not cond:
        raise Failure(msg)


class Broker:
    """`eddy broker` on 127.0.0.1; `with Broker(eddy) as b:` gives b.bootstrap."""

    def __init__(self, eddy, topics=()):
        self.eddy = eddy
        self.topics = topics
        self.proc = None
        self.bootstrap = None

    def __enter__(self):
        args = [self.eddy, "broker"]
        for t in self.topics:
            args += ["--topic", t]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     preexec_fn=_die_with_parent)
        deadline = time.monotonic() + 15
        line = b""
        while time.monotonic() < deadline and not line.endswith(b"\n"):
            r, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if r:
                c = os.read(self.proc.stdout.fileno(), 1)
                if not c:
                    break
                line += c
        m = re.match(rb"(127\.0\.0\.1:\d+)", line)
        if not m:
            self.__exit__(None, None, None)
            raise Failure("eddy broker printed no address: %r" % line)
        self.bootstrap = m.group(1).decode()
        step("broker at %s" % self.bootstrap)
        return self

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return False


def gen_orders(eddy, bootstrap, topic, count, rate=0, seed=1, wait=True):
    """Produces `count` reference orders into topic (at `rate`/s, 0 = at once)."""
    args = [eddy, "gen", "orders", "--topic", topic, "--count", str(count), "--rate", str(rate),
            "--seed", str(seed), "--bootstrap", bootstrap]
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if wait:
        _, err = p.communicate(timeout=20)
        check(p.returncode == 0, "eddy gen failed (%s): %s" % (p.returncode, err.decode(errors="replace")))
    return p


class Shell:
    """The shell in a pseudo-terminal (rows x cols), with HOME set to a new
    directory under scratch() unless home is given."""

    def __init__(self, eddy, args=(), home=None, env=None, rows=40, cols=140):
        self.home = home or tempfile.mkdtemp(prefix="home.", dir=scratch())
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
                _die_with_parent()
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
    """Runs eddy with the script on stdin (pipes, no terminal).  Returns
    (exit status, stdout, stderr) as text."""
    e = dict(os.environ)
    e.pop("EDDY_BOOTSTRAP", None)
    if env:
        e.update(env)
    p = subprocess.run([eddy] + list(args), input=script.encode(), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=e, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def main(test):
    """Runs test(eddy) and exits 0, or prints the failure and exits 1."""
    if len(sys.argv) != 2:
        print("usage: %s path/to/eddy" % sys.argv[0], file=sys.stderr)
        sys.exit(2)
    eddy = os.path.abspath(sys.argv[1])
    try:
        test(eddy)
    except Failure as f:
        print("FAIL: %s" % f, flush=True)
        sys.exit(1)
    except Exception:
        traceback.print_exc()
        sys.exit(1)
    step("ok")
    sys.exit(0)
