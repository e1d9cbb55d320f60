"""repl/statements — every kind of statement at the prompt, errors with their
caret, multi-line input, Ctrl-C on a half-typed statement, help, \\i and
SOURCE, quit; and the development broker the shell starts when no broker
is given (a LIMIT query reads what `eddy gen` wrote into it)."""

import os
import re

from eddyharness import check, gen_orders, main, step
from repltest import CTRL_C, INSERT, ORDERS, SUMMARY, Shell


def caret_col(out, line_text):
    """1-based column of the caret printed under line_text."""
    lines = out.split("\n")
    for i, l in enumerate(lines[:-1]):
        if l.rstrip() == line_text.rstrip() and lines[i + 1].strip() == "^":
            return len(lines[i + 1]) - len(lines[i + 1].lstrip()) + 1
    raise AssertionError("no caret under %r in:\n%s" % (line_text, out))


def test(eddy, workdir):
    s = Shell(eddy, workdir)   # no --bootstrap, no EDDY_BOOTSTRAP: the shell starts a development broker
    try:
        m = s.expect(r"development broker started in this process at (127\.0\.0\.1:\d+)")
        bootstrap = m.group(1)
        s.prompt()
        step("banner names the development broker at %s" % bootstrap)

        out = s.run(ORDERS)
        check("Created table 'orders_raw'." in out, "CREATE TABLE said: %r" % out)
        s.run(SUMMARY, expect=r"Created table 'orders_summary'\.")
        out = s.run("SHOW TABLES;")
        check(re.search(r"orders_raw\s+orders_summary", out), "SHOW TABLES: %r" % out)
        out = s.run("DESCRIBE orders_summary;")
        check(re.search(r"region\s+STRING\s+NO\s+PRI", out) and "changelog.mode 'upsert'" in out, "DESCRIBE: %r" % out)
        out = s.run("EXPLAIN " + INSERT)
        check("GroupAggregate(groupBy=[region]" in out and "KafkaSink(table=[orders_summary]" in out, "EXPLAIN: %r" % out)
        step("CREATE TABLE, SHOW TABLES, DESCRIBE, EXPLAIN")

        out = s.run("SET 'table.exec.mini-batch.allow-latency' = '50 ms';")
        check("Set 'table.exec.mini-batch.allow-latency' = '50 ms'." in out, "SET said: %r" % out)
        out = s.run("SET;")
        check("'table.exec.mini-batch.allow-latency' = '50 ms'" in out, "SET; listed: %r" % out)
        out = s.run("RESET 'table.exec.mini-batch.allow-latency';")
        check("Reset 'table.exec.mini-batch.allow-latency'." in out, "RESET said: %r" % out)
        out = s.run("SET 'no.such.key' = 'x';")
        check("unknown setting 'no.such.key'" in out, "bad SET key: %r" % out)
        step("SET, SET;, RESET, an unknown key")

        # A syntax error: message, the line, and the caret under the offending token.
        bad = "SELECT region, COUNT(* FROM orders_raw GROUP BY region;"
        out = s.run(bad)
        check('error: near "FROM": syntax error' in out, "syntax error message: %r" % out)
        check(caret_col(out, bad) == bad.index("FROM") + 1, "caret not under FROM:\n%s" % out)
        out = s.run("SELECT nope FROM orders_raw;")
        check("unknown column 'nope'" in out, "binder error: %r" % out)
        check(caret_col(out, "SELECT nope FROM orders_raw;") == 8, "caret not under nope:\n%s" % out)
        out = s.run("INSERT INTO orders_raw SELECT region, COUNT(*) FROM orders_raw GROUP BY region;")
        check("error:" in out, "planner rejection expected: %r" % out)
        step("errors show the caret and the session carries on")

        # A statement over several lines: continuation prompt; an error on line 2.
        s.line("SELECT region,")
        s.expect(r"   -> ")
        s.line("  amount +* 2")
        s.expect(r"   -> ")
        s.line("FROM orders_raw;")
        s.expect(r"error: .*\(line 2\)")
        out = s.text()[s.pos:]
        s.prompt()
        step("multi-line statement, error on its second line")

        # Ctrl-C drops a half-typed statement; the next one runs.
        s.line("SELECT region")
        s.expect(r"   -> ")
        s.send(CTRL_C)
        s.expect(r"\^C\s*\neddy> ")
        out = s.run("SHOW TABLES;")
        check("orders_raw" in out and "error" not in out, "after Ctrl-C: %r" % out)
        step("Ctrl-C discards the unfinished statement")

        out = s.run("help")
        check("SHOW JOBS" in out and "result-mode" in out, "help: %r" % out)
        out = s.run("\\x")
        check("error: \\x: unknown command" in out, "an unknown \\ command: %r" % out)

        # \i and SOURCE run a file's statements.
        path = os.path.join(s.home, "more.sql")
        with open(path, "w") as f:
            f.write("-- a script\nCREATE TABLE t1 (a INT);\nCREATE TABLE t2 (\n  b STRING\n);\n")
        s.run("\\i " + path, expect=r"Created table 't2'\.")
        with open(path, "w") as f:
            f.write("DROP TABLE t1;\nDESCRIBE t1;\nDROP TABLE t2;\n")
        out = s.run("SOURCE '%s';" % path)
        check("Dropped table 't1'." in out and "%s:2:10: error: unknown table 't1'" % path in out,
              "SOURCE with an error: %r" % out)
        check("Dropped table 't2'" not in out, "a file stops at its first error: %r" % out)
        out = s.run("SHOW TABLES;")
        check("t2" in out and "t1" not in out, "tables after SOURCE: %r" % out)
        step("\\i and SOURCE")

        # The development broker is real Kafka: eddy gen writes, a LIMIT query reads.
        gen_orders(eddy, bootstrap, "orders_raw", 20)
        s.run("SET 'sql-client.execution.result-mode' = 'changelog';")
        out = s.run("SELECT order_id, region FROM orders_raw WHERE order_id <= 3 LIMIT 3;", expect=r"LIMIT reached")
        rows = re.findall(r"\+I\[(\d+), [a-z-]+\]", out)
        check(sorted(rows) == ["1", "2", "3"], "LIMIT 3 rows: %r" % out)
        step("a LIMIT query on the development broker ends by itself")

        s.line("quit")
        st = s.wait_exit()
        check(st == 0, "exit status %s" % st)
    finally:
        s.kill()


main(test)
