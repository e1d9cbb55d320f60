"""repl/live_status — a continuous query that shows no row yet still shows
it is alive: the table's status line keeps ticking (elapsed time) and says
how many records the query has read; keys typed while the query runs, and
keys typed or pasted right after Ctrl-C or q, are not lost: they are at the
next prompt."""

import re
import time

from eddyharness import Broker, check, gen_orders, main, step
from repltest import CTRL_C, ORDERS, Shell


def test(eddy, workdir):
    with Broker(eddy, workdir, {"orders_raw": 2}) as b:
        gen_orders(eddy, b.bootstrap, "orders_raw", 30, 1)
        s = Shell(eddy, workdir, ["--bootstrap", b.bootstrap])
        try:
            s.prompt()
            s.run(ORDERS)
            s.line("SELECT order_id FROM orders_raw WHERE amount < 0;")
            s.expect(r"\(0 rows, 0 changes, [0-9.]+ s, 30 records read; Ctrl-C or q stops it\)", 30, "30 records read, no row")
            m = s.expect(r"\(0 rows, 0 changes, ([0-9.]+) s, 30 records read; Ctrl-C", 10)
            t1 = float(m.group(1))
            m = s.expect(r"\(0 rows, 0 changes, ([0-9.]+) s, 30 records read; Ctrl-C", 10)
            check(float(m.group(1)) > t1, "the status line did not tick: %s then %s" % (t1, m.group(1)))
            step("with no row, the status line ticks and shows the records read")

            s.send("SHOW TA")          # typed while the query runs
            time.sleep(0.5)
            s.send(CTRL_C + b"BLES;\r")   # the rest right after Ctrl-C, in one burst
            s.expect(r"30 records read; cancelled\)", 15)
            s.expect(r"eddy> SHOW TABLES;\s*\norders_raw\n", 15, "the keys typed around Ctrl-C, run at the prompt")
            s.prompt()
            step("keys typed during the query and after Ctrl-C reach the next prompt")

            s.line("SELECT COUNT(*) AS n FROM orders_raw;")
            s.expect(r"\n +30\n\(1 row, ", 20)
            s.send(b"qSHOW TABLES;\r")   # q stops the query; what follows is the next prompt's
            s.expect(r"cancelled\)", 15)
            s.expect(r"eddy> SHOW TABLES;\s*\norders_raw\n", 15, "the keys after q")
            s.prompt()
            step("keys pasted after q reach the next prompt")
        finally:
            s.kill()


main(test)
