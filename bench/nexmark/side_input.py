#!/usr/bin/python3
"""side_input.py ROOT — q13's side input: a throw-away PostgreSQL server
(tests/pg/pgfixture.py: Debian's server binaries, a free loopback port, as
the `postgres` user when run as root) holding side_input(key, value) with
keys 0..9999.  Prints the jdbc url on its first line, then serves until its
standard input closes (run.sh keeps a pipe open), then stops the server and
removes its directory."""
import os
import sys

root = sys.argv[1]
sys.path[:0] = [os.path.join(root, 'tests', 'lib'), os.path.join(root, 'tests', 'pg')]
from pgfixture import PgServer  # noqa: E402

with PgServer() as pg:
    pg.psql("CREATE TABLE side_input (key BIGINT PRIMARY KEY, value TEXT);"
            "INSERT INTO side_input SELECT k, 'side-' || k FROM generate_series(0, 9999) k;")
    print(pg.url, flush=True)
    sys.stdin.read()
