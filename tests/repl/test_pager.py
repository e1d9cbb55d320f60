"""repl/pager — a result longer than the screen, as psql shows it: the
final table of a query goes through the pager ($PAGER; without one and
without less on the PATH the built-in one: a page, then --More--, Space
for the next page, q to quit), every row and no "(N more rows not
shown)"; \\pset pager off and SET 'sql-client.display.pager' = 'false'
print the whole table; a result that fits is not paged; long help text
(help options) is paged too and is what `eddy help options` prints."""

import os
import re

from eddyharness import check, main, run, step
from repltest import Shell

NOWHERE = ["--bootstrap", "127.0.0.1:9"]   # VALUES needs no Kafka
ROWS = 60
QUERY = "SELECT * FROM (VALUES %s) AS t(n, name);" % ", ".join("(%d, 'r%02d')" % (i, i) for i in range(ROWS))


def all_rows(t):
    t = re.sub(r"--More-- \([^)]*\)", "\n", t)   # the prompt line is erased before the next line is shown
    return [int(x) for x in re.findall(r"\n +(\d+) \| r\d\d", t)]


def test(eddy, workdir):
    empty = os.path.join(workdir, "bin")   # no less, no PAGER: the built-in pager
    os.makedirs(empty, exist_ok=True)
    s = Shell(eddy, workdir, NOWHERE, rows=20, env={"PATH": empty, "PAGER": None, "EDDY_PAGER": None})
    try:
        s.prompt()
        s.line(QUERY)
        m = s.expect(r"--More-- \((\d+) of (\d+) lines", 30, "the built-in pager's first page")
        check(int(m.group(1)) == 19 and int(m.group(2)) == ROWS + 3, "first page: %r" % m.group(0))
        s.send(" ")
        s.expect(r"--More-- \(38 of", 10, "the second page")
        s.send(" ")
        s.expect(r"--More-- \(57 of", 10, "the third page")
        s.send(" ")
        s.expect(r"\(60 rows, 60 changes, [0-9.]+ s, 0 records read; input finished\)\n", 10, "the status line at the end")
        s.prompt()
        t = s.text()
        final = t[t.rindex("  n | name"):]
        check(all_rows(final) == list(range(ROWS)), "the paged table lacks rows: %r" % all_rows(final))
        check("more rows not shown" not in final, "the paged table still cuts rows")
        step("the built-in pager: pages of 19 lines, Space for the next, every row")

        s.line(QUERY)
        s.expect(r"--More--", 30)
        s.send("q")
        s.prompt()
        out = s.run("SHOW TABLES;")
        check("No tables" in out, "the session after q in the pager: %r" % out)
        step("q leaves the pager and the session goes on")

        out = s.run("\\pset pager off", expect=r"Pager off")
        s.line(QUERY)
        s.expect(r"\(60 rows, 60 changes, [0-9.]+ s, 0 records read; input finished\)", 30)
        s.prompt()
        t = s.text()
        final = t[t.rindex("  n | name"):]
        check(all_rows(final) == list(range(ROWS)) and "--More--" not in final, "\\pset pager off: %r" % final[-400:])
        s.run("\\pset pager on", expect=r"Pager on")
        s.run("SET 'sql-client.display.pager' = 'false';", expect=r"Set 'sql-client.display.pager' = 'false'\.")
        s.line(QUERY)
        s.expect(r"input finished\)", 30)
        s.prompt()
        t = s.text()
        check("--More--" not in t[t.rindex("SET 'sql-client.display.pager'"):], "SET 'sql-client.display.pager' = 'false' still pages")
        step("\\pset pager off and SET 'sql-client.display.pager' = 'false' print every row")

        s.run("RESET 'sql-client.display.pager';")
        out = s.run("SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS t(n, name);", expect=r"input finished\)")
        check("--More--" not in out and re.search(r"\n +2 \| b", out), "a small result: %r" % out)
        step("a result that fits the screen is not paged")
        s.kill()

        # An external pager: $PAGER gets the whole table.
        s = Shell(eddy, workdir, NOWHERE, rows=20, env={"PAGER": "cat -n", "EDDY_PAGER": None})
        s.prompt()
        s.line(QUERY)
        s.expect(r"\d+\t\(60 rows, 60 changes, [0-9.]+ s, 0 records read; input finished\)", 30, "the table through cat -n")
        s.prompt()
        t = s.text()
        numbered = re.findall(r"\n +(\d+)\t +(\d+) \| r\d\d", t)
        check([int(r) for _, r in numbered] == list(range(ROWS)), "rows through $PAGER: %r" % numbered[:5])
        step("$PAGER receives every row")

        s.line("help options")
        s.prompt(20)
        t = s.text()
        shown = "\n".join(re.sub(r"^ *\d+\t", "", ln) for ln in t[t.rindex("help options"):].split("\n")[1:-1])
        doc = run([eddy, "help", "options"]).out
        check(shown.strip() == doc.strip(), "help options in the shell differs from eddy help options:\n%s" % shown[:600])
        step("help options in the shell is `eddy help options`, through the pager")
    finally:
        s.kill()


main(test)
