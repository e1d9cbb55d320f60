"""repl/views — the Flink SQL breadth statements at the prompt: SELECT 1;
(how people check a shell works) shows one row and ends by itself; VALUES;
CREATE VIEW / SHOW VIEWS / DESCRIBE of a view / DROP VIEW; SHOW CREATE
TABLE whose text compiles back into the same table; SHOW FUNCTIONS; SHOW
COLUMNS … LIKE; ALTER TABLE; a refusal by name with its caret; BEGIN
STATEMENT SET; … END; typed statement by statement (each INSERT checked as
typed, END runs them as one job); and a suggestion for a misspelt table."""

import re

from eddyharness import check, main, step
from repltest import Shell


def test(eddy, workdir):
    s = Shell(eddy, workdir)
    try:
        s.expect(r"development broker started in this process at (127\.0\.0\.1:\d+)")
        s.prompt()

        out = s.run("SELECT 1;", timeout=20)
        check(re.search(r"\b1\b", out) and "input finished" in out, "SELECT 1; should show one row and finish: %r" % out)
        out = s.run("VALUES (1, 'a'), (2, 'b');", timeout=20)
        check("EXPR$0" in out and re.search(r"\ba\b", out) and re.search(r"\bb\b", out), "VALUES: %r" % out)
        step("SELECT 1; and VALUES show their rows and end")

        s.run("CREATE TABLE orders (id BIGINT, region STRING, amount DOUBLE, ts TIMESTAMP(3), "
              "total AS amount * 2, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('scan.startup.mode' = 'latest-offset');")
        out = s.run("CREATE VIEW eu AS SELECT id, amount FROM orders WHERE region = 'eu';")
        check("OK." in out, "CREATE VIEW said: %r" % out)
        out = s.run("SHOW VIEWS;")
        check(re.search(r"^eu\s*$", out, re.M), "SHOW VIEWS: %r" % out)
        out = s.run("DESCRIBE eu;")
        check(re.search(r"amount\s+DOUBLE", out) and "view:" in out, "DESCRIBE eu: %r" % out)
        step("CREATE VIEW, SHOW VIEWS, DESCRIBE of a view")

        ddl = s.run("SHOW CREATE TABLE orders;")
        check("CREATE TABLE `orders`" in ddl and "WATERMARK FOR `ts` AS ts - INTERVAL '5' SECOND" in ddl
              and "`total` AS amount * 2" in ddl and "'scan.startup.mode' = 'latest-offset'" in ddl, "SHOW CREATE TABLE: %r" % ddl)
        text = ddl[ddl.index("CREATE TABLE `"):ddl.rindex(";") + 1]
        before = s.run("DESCRIBE orders;")
        s.run("DROP VIEW eu;")
        s.run("DROP TABLE orders;")
        out = s.run(" ".join(l.strip() for l in text.splitlines()))
        check("error" not in out, "SHOW CREATE TABLE's text should compile: %r" % out)
        after = s.run("DESCRIBE orders;")
        check(before.split("\n", 1)[1] == after.split("\n", 1)[1], "round trip changed the table:\n%s\n%s" % (before, after))
        step("SHOW CREATE TABLE round-trips")

        out = s.run("SHOW COLUMNS FROM orders LIKE '_o%';")
        check("total" in out and "amount" not in out and "region" not in out, "SHOW COLUMNS LIKE: %r" % out)
        out = s.run("SHOW FUNCTIONS;")
        check(re.search(r"^COUNT\s*$", out, re.M) and re.search(r"^UPPER\s*$", out, re.M), "SHOW FUNCTIONS: %r" % out)
        s.run("ALTER TABLE orders SET ('scan.startup.mode' = 'earliest-offset');")
        out = s.run("SHOW CREATE TABLE orders;")
        check("'scan.startup.mode' = 'earliest-offset'" in out, "ALTER TABLE SET: %r" % out)
        step("SHOW COLUMNS LIKE, SHOW FUNCTIONS, ALTER TABLE SET")

        out = s.run("SELECT * FROM orders MATCH_RECOGNIZE (PARTITION BY id);")
        check("MATCH_RECOGNIZE (pattern matching over rows) is not supported by eddy" in out, "refusal: %r" % out)
        out = s.run("SELECT * FROM ordrs;")
        check("did you mean 'orders'?" in out, "suggestion: %r" % out)
        step("a refusal by name, a suggestion")

        s.run("CREATE TABLE big (id BIGINT);")
        s.run("CREATE TABLE eu_ids (id BIGINT);")
        out = s.run("BEGIN STATEMENT SET;")
        check("Statement set begun" in out, "BEGIN STATEMENT SET said: %r" % out)
        out = s.run("INSERT INTO big SELECT id FROM orders WHERE amount > 10;")
        check("Added to the statement set (1 INSERT" in out, "first INSERT: %r" % out)
        out = s.run("INSERT INTO eu_idz SELECT id FROM orders;")
        check("unknown table 'eu_idz'" in out, "a bad INSERT is refused when typed: %r" % out)
        out = s.run("INSERT INTO eu_ids SELECT id FROM orders WHERE region = 'eu';")
        check("Added to the statement set (2 INSERTs" in out, "second INSERT: %r" % out)
        out = s.run("END;", timeout=20)
        out += s.run("SHOW JOBS;")
        check(len(re.findall(r"statement_set", out)) >= 1, "END should start one job: %r" % out)
        check("big" not in re.sub(r"statement_set.*", "", out), "no job per INSERT expected: %r" % out)
        step("BEGIN STATEMENT SET; … END; runs one job")
        s.line("quit")
        s.wait_exit()
    finally:
        s.kill()


if __name__ == "__main__":
    main(test)
