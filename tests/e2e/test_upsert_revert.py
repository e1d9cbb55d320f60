"""e2e/upsert_revert — what a crashed run wrote into an upsert sink after
its last checkpoint is set back on restart, so keys the replay does not
write again cannot keep the crashed run's values.

A job reading several topics may replay their records in another order
than the run that crashed, and then need not touch every key that run
wrote (e2e/semi_join met it: an order briefly in gold_orders stayed there).
The test makes that situation exactly: a GROUP BY region job into an
upsert table runs bounded and stops (its checkpoint is at the end of the
sink), then records written straight into the sink play the crashed run's
writes beyond that checkpoint: a wrong count for a key the replay will not
touch, a tombstone of a key it will, and a key the checkpoint never had.
The restarted job must set each back to its value at the checkpoint (the
last record before it, or a tombstone) and then apply the new orders;
a second restart, after a clean stop, reverts nothing.
"""
import json
import os

from eddyharness import Broker, Rec, check, check_table, fold_upsert, main, produce, read_topic, run_bounded, step, ukey, write_file

SQL = """
CREATE TABLE orders (order_id BIGINT, region STRING) WITH ('scan.startup.mode' = 'earliest-offset');
CREATE TABLE per_region (region STRING, n BIGINT, PRIMARY KEY (region) NOT ENFORCED) WITH ('changelog.mode' = 'upsert');
INSERT INTO per_region SELECT region, COUNT(*) AS n FROM orders GROUP BY region;
"""


def orders(first, regions):
    return [Rec(value={"order_id": first + i, "region": r}) for i, r in enumerate(regions)]


def table(bs):
    return fold_upsert(read_topic(bs, "per_region"), "per_region")


def want(counts):
    return {ukey(region=r): {"region": r, "n": n} for r, n in counts.items()}


def test(eddy, workdir):
    sql = write_file(workdir, "job.sql", SQL)
    state = os.path.join(workdir, "job.db")
    with Broker(eddy, workdir, {"orders": 2, "per_region": 2}) as b:
        bs = b.bootstrap
        produce(bs, "orders", orders(0, ["eu", "eu", "eu", "us", "us"]))
        run_bounded(eddy, bs, sql, workdir, state=state)
        check_table("per_region after the first run", table(bs), want({"eu": 3, "us": 2}))

        # The crashed run's writes beyond the checkpoint, in the partitions
        # eddy wrote each key to (a key's records stay in its partition).
        part = {json.loads(m.key)["region"]: m.partition for m in read_topic(bs, "per_region")}
        produce(bs, "per_region", [
            Rec(key=b'{"region":"eu"}', value={"region": "eu", "n": 99}, partition=part["eu"]),
            Rec(key=b'{"region":"us"}', value=None, partition=part["us"]),
            Rec(key=b'{"region":"apac"}', value={"region": "apac", "n": 7}, partition=part["us"]),
        ])
        check(table(bs) == want({"eu": 99, "apac": 7}), "the simulated crashed run's writes are not in the sink")

        produce(bs, "orders", orders(100, ["us"]))
        r = run_bounded(eddy, bs, sql, workdir, state=state)
        check("set back to" in r.err and "3 keys" in r.err,
              "the restart did not say it set back the 3 keys written after the checkpoint:\n%s" % r.err)
        # eu: back to 3 (the replay does not touch it); us: back to 2, then
        # the new order makes 3; apac: never in the checkpoint, so deleted.
        check_table("per_region after the restart", table(bs), want({"eu": 3, "us": 3}))

        r = run_bounded(eddy, bs, sql, workdir, state=state)
        check("set back" not in r.err, "a restart after a clean stop set keys back:\n%s" % r.err)
        check_table("per_region after a restart from a clean stop", table(bs), want({"eu": 3, "us": 3}))
        step("the crashed run's writes beyond the checkpoint were set back, once")


main(test)
