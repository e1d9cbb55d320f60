"""repl/editing — line editing as a person uses it: Tab completes a table
name (unique, then ambiguous: common part, then the list), a column of the
table in the statement, keywords in the case being typed, SET keys inside
quotes; Up recalls the last statement and Enter runs it again; history is
kept in ~/.eddy_history across sessions, and without HOME the shell runs
with history in memory only."""

import os

from eddyharness import check, main, step
from repltest import CTRL_C, CTRL_D, TAB, UP, Shell

ORDERS = "CREATE TABLE orders_raw (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING);"
SUMMARY = "CREATE TABLE orders_summary (region STRING PRIMARY KEY NOT ENFORCED, total_orders BIGINT);"
NOWHERE = ["--bootstrap", "127.0.0.1:9"]   # nothing here talks to Kafka


def test(eddy, workdir):
    s = Shell(eddy, workdir, NOWHERE)
    home = s.home
    try:
        s.prompt()
        s.run(ORDERS)
        s.run(SUMMARY)

        s.send("DESCRIBE orders_r")
        s.send(TAB)
        s.expect(r"orders_raw ", what="the completed table name")
        s.send(";\r")
        s.expect(r"order_id +BIGINT")
        s.prompt()
        step("Tab completes a unique table name")

        s.send("DROP TABLE ord")
        s.send(TAB)
        s.expect(r"orders_", what="the common part of two table names")
        s.send(TAB)
        s.expect(r"\norders_raw +orders_summary +\n", what="the list of candidates")
        s.send(CTRL_C)
        s.expect(r"\^C\s*\neddy> ")
        out = s.run("SHOW TABLES;")
        check("orders_summary" in out, "the ambiguous DROP was not run: %r" % out)
        step("an ambiguous prefix: common part, then the candidates")

        s.send("explain select regi")   # "reg" also starts REGEXP…
        s.send(TAB)
        s.expect(r"region ", what="the column name")
        s.send("fr")
        s.send(TAB)
        # "from" is a keyword and the start of FROM_UNIXTIME: the common part, in lower case
        s.expect(r"from", what="a lower-case keyword")
        s.send(" ")
        s.send("orders_s")
        s.send(TAB)
        s.expect(r"orders_summary ")
        s.send("wher")
        s.send(TAB)
        s.expect(r"where ")
        s.send("total_o")
        s.send(TAB)
        s.expect(r"total_orders ")
        s.send("> 1;\r")
        s.expect(r"Calc\(select=\[region\], where=\[>\(total_orders, 1\)\]|Calc\(select=\[region\]", what="the plan")
        s.prompt()
        step("columns of the table in the statement, keywords in the case typed")

        s.send("SET 'sql-client.execution.res")
        s.send(TAB)
        s.expect(r"result-mode'", what="the SET key")
        s.send(" = 'tableau';\r")
        s.expect(r"Set 'sql-client.execution.result-mode' = 'tableau'\.")
        s.prompt()
        step("SET keys inside quotes")

        s.send(UP)
        s.expect(r"SET 'sql-client.execution.result-mode' = 'tableau';", what="the recalled statement")
        s.send("\r")
        s.expect(r"\nOK\.\n")
        s.prompt()
        s.send(UP)
        s.send(UP)
        s.expect(r"explain select region from orders_summary where total_orders > 1;")
        s.send("\r")
        s.expect(r"Calc\(select=\[region\]")
        s.prompt()
        step("Up recalls statements, Enter runs them again")

        s.line("quit")
        check(s.wait_exit() == 0, "exit status %s" % s.status)
        hist = os.path.join(home, ".eddy_history")
        check(os.path.exists(hist), "no %s" % hist)
        text = open(hist, encoding="utf-8", errors="replace").read().replace("\\040", " ")
        check("DESCRIBE orders_raw ;" in text and "SET 'sql-client.execution.result-mode' = 'tableau';" in text,
              "history file:\n%s" % text)
        check(oct(os.stat(hist).st_mode & 0o777) == "0o600", "history file mode %o" % (os.stat(hist).st_mode & 0o777))

        s = Shell(eddy, workdir, NOWHERE, home=home)
        s.prompt()
        s.send(UP)
        s.expect(r"quit")
        s.send(UP)
        s.expect(r"explain select region from orders_summary where total_orders > 1;")
        s.send(CTRL_C)
        s.expect(r"\^C\s*\neddy> ")
        s.send(CTRL_D)
        check(s.wait_exit() == 0, "exit status %s" % s.status)
        step("a new session recalls the last one's statements")

        s = Shell(eddy, workdir, NOWHERE, env={"HOME": None})
        s.prompt()
        s.run(ORDERS)
        s.send(UP)
        s.expect(r"CREATE TABLE orders_raw")
        s.send(CTRL_C)
        s.expect(r"\^C\s*\neddy> ")
        s.line("exit")
        check(s.wait_exit() == 0, "exit status %s" % s.status)
        step("without HOME: history in memory only")
    finally:
        s.kill()


main(test)
