"""pgfixture — a throw-away PostgreSQL server for eddy's jdbc tests.

    with PgServer() as pg:
        pg.url            # 'jdbc:postgresql://127.0.0.1:PORT/eddy'
        pg.rows("SELECT …")   # [tuple of str|None], via psql
        pg.exec("CREATE TABLE …")
        pg.restart()      # fast shutdown, start again on the same port

It runs Debian's own server binaries (/usr/lib/postgresql/<version>/bin,
the newest version installed): a copy of a cluster initdb made once (kept
as $TMPDIR/eddy-pg-template-<version>-<uid>) in a new temporary directory, the
server on a free 127.0.0.1 port, database `eddy`, trust authentication for
local connections.  PostgreSQL refuses to run as root, so when the test
runs as root (CI does) the server runs as the `postgres` user the package
creates.  The server is a child of the test (killed with it, see
die_with_parent) and is stopped and its directory removed when the block
ends, whatever happened.  Nothing here is a mock: the tests talk to a real
server.
"""
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from eddyharness import Failure, check, die_with_parent, step


def pg_bin():
    """The bin directory of the newest PostgreSQL installed."""
    dirs = [d for d in glob.glob("/usr/lib/postgresql/*/bin") if os.path.exists(os.path.join(d, "initdb"))]
    check(dirs, "no PostgreSQL server installed (/usr/lib/postgresql/*/bin/initdb): run scripts/deps.sh")
    return max(dirs, key=lambda d: float(d.split("/")[-2]))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class PgServer:
    def __init__(self, fsync=False):
        self.bin = pg_bin()
        self.fsync = fsync
        self.proc = None
        self.dir = None
        self.port = free_port()
        self.url = "jdbc:postgresql://127.0.0.1:%d/eddy?user=postgres" % self.port
        self.conninfo = "host=127.0.0.1 port=%d dbname=eddy user=postgres" % self.port
        self.as_user = None
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            self.as_user = (pw.pw_uid, pw.pw_gid)

    def _preexec(self):
        die_with_parent()
        if self.as_user:
            os.setgid(self.as_user[1])
            os.setuid(self.as_user[0])

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="eddy-pg.")
        os.chmod(self.dir, 0o700)
        if self.as_user:
            os.chown(self.dir, *self.as_user)
        self.data = os.path.join(self.dir, "data")
        try:
            # a copy of a cluster initdb made once (initdb took ~4 s of
            # every test on a loaded machine; copying takes 0.2 s)
            shutil.copytree(self._template(), self.data, symlinks=True)
            if self.as_user:
                for root, dirs, files in os.walk(self.data):
                    for n in dirs + files:
                        os.lchown(os.path.join(root, n), *self.as_user)
                os.chown(self.data, *self.as_user)
            os.chmod(self.data, 0o700)
            self.start()
            self.psql("CREATE DATABASE eddy", db="postgres")
        except BaseException:
            self._cleanup()
            raise
        step("PostgreSQL %s at 127.0.0.1:%d (%s)" % (self.bin.split("/")[-2], self.port, self.dir))
        return self

    def _template(self):
        """A data directory initdb made for this server version and user,
        kept in the temporary directory for the tests that follow (made
        once; two tests making it at once each make one, one rename wins)."""
        uid = self.as_user[0] if self.as_user else os.geteuid()
        final = os.path.join(tempfile.gettempdir(), "eddy-pg-template-%s-%d" % (self.bin.split("/")[-2], uid))
        if os.path.exists(os.path.join(final, "PG_VERSION")):
            return final
        work = tempfile.mkdtemp(prefix="eddy-pg-template.")
        os.chmod(work, 0o700)
        if self.as_user:
            os.chown(work, *self.as_user)
        data = os.path.join(work, "data")
        r = subprocess.run([os.path.join(self.bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres",
                            "--no-sync", "-E", "UTF8", "--locale=C"],
                           capture_output=True, preexec_fn=self._preexec, timeout=60, cwd=work)
        if r.returncode != 0:
            shutil.rmtree(work, ignore_errors=True)
            raise Failure("initdb failed:\n%s" % r.stderr.decode(errors="replace")[-2000:])
        try:
            os.rename(data, final)
        except OSError:
            pass   # another test made it first
        shutil.rmtree(work, ignore_errors=True)
        return final

    def start(self):
        self.log = open(os.path.join(self.dir, "server.log"), "ab")
        args = [os.path.join(self.bin, "postgres"), "-D", self.data, "-p", str(self.port), "-c", "listen_addresses=127.0.0.1",
                "-c", "unix_socket_directories=" + self.dir, "-c", "max_connections=40"]
        if not self.fsync:
            args += ["-c", "fsync=off", "-c", "full_page_writes=off"]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                                     preexec_fn=self._preexec, cwd=self.dir)
        deadline = time.monotonic() + 30
        while True:
            r = subprocess.run([os.path.join(self.bin, "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"],
                               capture_output=True)
            if r.returncode == 0:
                return
            if self.proc.poll() is not None:
                raise Failure("postgres exited with %d:\n%s" % (self.proc.returncode, self.server_log()[-2000:]))
            check(time.monotonic() < deadline, "postgres did not accept connections within 30 s:\n%s" % self.server_log()[-2000:])
            time.sleep(0.05)

    def stop(self):
        """Fast shutdown (SIGINT: connections are cut, as in a restart)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.log.close()

    def restart(self, down_seconds=0.0):
        self.stop()
        step("PostgreSQL stopped")
        time.sleep(down_seconds)
        self.start()
        step("PostgreSQL started again")

    def server_log(self):
        try:
            with open(os.path.join(self.dir, "server.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def psql(self, sql, db="eddy"):
        r = subprocess.run([os.path.join(self.bin, "psql"), "-X", "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                            "-d", db, "-v", "ON_ERROR_STOP=1", "-A", "-t", "-F", "\x1f", "-R", "\x1e", "-P", "null=\x1d",
                            "-c", sql],
                           capture_output=True, timeout=60)
        if r.returncode != 0:
            raise Failure("psql %r failed:\n%s" % (sql, r.stderr.decode(errors="replace")))
        return r.stdout.decode()

    def exec(self, sql):
        self.psql(sql)

    def rows(self, sql):
        """The rows of a query as tuples of text (None for NULL)."""
        out = self.psql(sql).rstrip("\n")
        if not out:
            return []
        return [tuple(None if v == "\x1d" else v for v in line.split("\x1f")) for line in out.split("\x1e") if line != ""]

    def _cleanup(self):
        try:
            self.stop()
        finally:
            if self.dir:
                shutil.rmtree(self.dir, ignore_errors=True)

    def __exit__(self, et, ev, tb):
        if et is not None and self.dir:
            print("--- postgres log (tail):\n" + self.server_log()[-1500:], flush=True)
        self._cleanup()
        return False
