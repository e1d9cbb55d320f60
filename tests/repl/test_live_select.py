"""repl/live_select — a bare SELECT against `eddy broker` while records are
produced: rows appear as they arrive (changelog mode), a table refreshes in
place (table mode), Ctrl-C and q cancel the query and keep the session, a
LIMIT query ends by itself (tableau mode)."""

import re

from eddyharness import Broker, check, finish, gen_orders, main, start_gen_orders, step
from repltest import CTRL_C, CTRL_D, ORDERS, Shell


def test(eddy, workdir):
    with Broker(eddy, workdir, {"orders_raw": 4}) as b:
        s = Shell(eddy, workdir, ["--bootstrap", b.bootstrap])
        try:
            s.expect(r"Kafka: %s \(--bootstrap\)" % re.escape(b.bootstrap))
            s.prompt()
            s.run(ORDERS)

            # Changelog mode: each order shows up while the generator is still producing.
            s.run("SET 'sql-client.execution.result-mode' = 'changelog';")
            s.line("SELECT order_id, region, amount FROM orders_raw;")
            s.expect(r"continuous query")
            gen = start_gen_orders(eddy, b.bootstrap, "orders_raw", 40, workdir, rate=20)
            s.expect(r"\+I\[\d+, [a-z-]+, [0-9.]+\]", what="a first row")
            check(gen.poll() is None, "the first row came only after the generator finished")
            s.wait_for(lambda t: len(re.findall(r"\+I\[", t)) >= 39, 20, "the other 39 rows")
            finish(gen, "eddy gen --rate 20", 10)
            step("changelog rows appear while the orders are produced")
            s.send(CTRL_C)
            s.expect(r"\(40 changes; cancelled\)")
            s.prompt()
            out = s.run("SHOW TABLES;")
            check(out.strip().endswith("orders_raw"), "the session after Ctrl-C: %r" % out)
            step("Ctrl-C cancels the query, not the session")

            # Table mode: one row refreshed in place as the count grows.
            s.run("RESET 'sql-client.execution.result-mode';")
            s.line("SELECT COUNT(*) AS n FROM orders_raw;")
            s.expect(r"\n +40\n\(1 row, ", what="the count of 40")
            gen_orders(eddy, b.bootstrap, "orders_raw", 10, 2)
            s.expect(r"\n +50\n\(1 row, ", what="the count refreshed to 50")
            s.send("q")
            s.expect(r"\n +50\n\(1 row, \d+ changes?, [0-9.]+ s, [0-9,]+ records? read; cancelled\)")
            s.prompt()
            step("table mode refreshes one row in place; q stops it")

            s.line("SELECT region, COUNT(*) AS n, ROUND(SUM(amount), 2) AS total FROM orders_raw GROUP BY region;")
            def last_table_sum(t):
                tables = re.findall(r"\n((?: [a-z-]+ +\| +\d+ \| +[0-9.]+\n)+)\(\d+ rows", t)
                return tables and sum(int(x) for x in re.findall(r"\| +(\d+) \|", tables[-1])) == 50
            s.wait_for(last_table_sum, 15, "a table whose counts add up to 50")
            s.send(CTRL_C)
            m = s.expect(r"\n((?: [a-z-]+ +\| +\d+ \| +[0-9.]+\n)+)\((\d+) rows, \d+ changes?, [0-9.]+ s, [0-9,]+ records? read; cancelled\)")
            nregions = int(m.group(2))
            counts = [int(x) for x in re.findall(r"\| +(\d+) \|", m.group(1))]
            check(2 <= nregions <= 8 and len(counts) == nregions and sum(counts) == 50, "regions: %r" % m.group(0))
            s.prompt()
            step("grouped table with %d regions" % nregions)

            # Tableau mode with LIMIT: the query ends by itself after 5 rows.
            s.run("SET 'sql-client.execution.result-mode' = 'tableau';")
            out = s.run("SELECT order_id, region FROM orders_raw WHERE amount > 0 LIMIT 5;",
                        expect=r"Received a total of 5 rows")
            check(re.search(r"\| op \| +order_id \| region +\|", out), "tableau header: %r" % out)
            check(len(re.findall(r"\| \+I \| +\d+ \| [a-z-]+ +\|", out)) == 5, "tableau rows: %r" % out)
            step("tableau mode, LIMIT 5")

            s.send(CTRL_D)
            st = s.wait_exit()
            check(st == 0, "exit status %s" % st)
        finally:
            s.kill()


main(test)
