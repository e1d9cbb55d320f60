"""e2e/reference — the reference job, sql/orders.sql, over 20k generated orders.

`eddy gen orders --seed 3` writes 20,000 orders into an 8-partition
orders_raw; `eddy run --bounded sql/orders.sql` aggregates them per region
into the upsert topic orders_summary.  The expected table is computed here
from the records read back from orders_raw: COUNT(*), SUM(amount) and
ROUND(AVG(amount), 2) per region.  Sums over 8 partitions are added in an
order the test cannot know, so doubles compare with a relative tolerance of
1e-6 (and a ROUND whose input sits within that tolerance of a rounding
boundary may go either way).  On top of that, eddy documents its
SUM(DOUBLE) as the correctly rounded exact sum, independent of order, so
total_sales is also compared bit-exactly with math.fsum.
"""
import collections
import json
import math
import os

from eddyharness import (REPO, Broker, OneOf, check, check_table, fold_upsert, gen_orders, main, read_topic,
                         round_half_up, step, ukey)
from eddytest import run_job

COUNT = 20000
SEED = 3
TOL = 1e-6


def test(eddy, workdir):
    with open(os.path.join(REPO, "sql", "orders.sql")) as f:
        sql = f.read()
    with Broker(eddy, workdir, {"orders_raw": 8}) as b:
        step("eddy gen: %s" % gen_orders(eddy, b.bootstrap, "orders_raw", COUNT, SEED).err.strip())

        raw = read_topic(b.bootstrap, "orders_raw")
        check(len(raw) == COUNT, "orders_raw holds %d records, expected %d" % (len(raw), COUNT))
        check(len({m.partition for m in raw}) == 8, "orders_raw should use all 8 partitions")
        n = collections.Counter()
        s = collections.defaultdict(float)
        amounts = collections.defaultdict(list)
        for m in raw:
            v = json.loads(m.value)
            n[v["region"]] += 1
            s[v["region"]] += v["amount"]
            amounts[v["region"]].append(v["amount"])
        expected = {}
        for r in n:
            avg = s[r] / n[r]
            d = abs(avg) * TOL
            expected[ukey(region=r)] = {
                "region": r, "total_orders": n[r], "total_sales": s[r],
                "avg_order_value": OneOf(round_half_up(avg - d, 2), round_half_up(avg, 2), round_half_up(avg + d, 2)),
            }
        step("expected: %d regions from %d orders" % (len(expected), len(raw)))

        run_job(eddy, b.bootstrap, sql, workdir, "orders")
        out = read_topic(b.bootstrap, "orders_summary")
        check(out, "orders_summary is empty")
        table = fold_upsert(out)
        check_table("orders_summary", table, expected, rel_tol=TOL)

        # eddy documents SUM(DOUBLE) as the correctly rounded sum of the
        # values whatever their order (src/exec/agg.c), so the totals must also
        # be bit-exact with math.fsum, even over 8 partitions.
        exact = {k: {"total_sales": math.fsum(amounts[r["region"]])} for k, r in expected.items()}
        check_table("orders_summary.total_sales (exact: math.fsum)",
                    {k: {"total_sales": r.get("total_sales")} for k, r in table.items()}, exact)


if __name__ == "__main__":
    main(test)
