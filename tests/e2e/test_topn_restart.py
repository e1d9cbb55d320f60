"""e2e/topn_restart — a Top-N over an updating input restarted between
changes: the rows below the top are restored exactly, so the row that moves
up when the top row goes is the right one.

Accounts (an upsert source, id → region, balance) ranked per region by
balance, top 1, in three bounded runs on one state file:

  1. ids 1, 2, 3 with 30, 20, 10: id 1 is the top, ids 2 and 3 the rest
     (written by the first checkpoint);
  2. id 2 drops to 5: its old row leaves the rest, its new row enters it
     (a later checkpoint deletes the first row);
  3. id 1 is deleted: the best of the rest moves up — id 3 (10), not the
     row id 2 had before run 2 (20), which a restore that kept deleted rest
     rows would bring back.
After each run the upsert table equals what the rows so far give.
"""
import json
import os

from eddyharness import Broker, Rec, check_table, fold_upsert, main, produce, read_topic, run_bounded, write_file

SQL = """
CREATE TABLE accounts (
  id BIGINT PRIMARY KEY NOT ENFORCED, region STRING, balance DOUBLE
) WITH ('changelog.mode' = 'upsert', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE top_account (
  region STRING, rn BIGINT, id BIGINT, balance DOUBLE, PRIMARY KEY (region, rn) NOT ENFORCED
);
INSERT INTO top_account
SELECT region, rn, id, balance FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY region ORDER BY balance DESC) AS rn FROM accounts
) WHERE rn = 1;
"""


def rec(i, balance):
    key = json.dumps({"id": i}).encode()
    if balance is None:
        return Rec(key=key, value=None)
    return Rec(key=key, value=json.dumps({"id": i, "region": "eu", "balance": balance}).encode())


def test(eddy, workdir):
    with Broker(eddy, workdir, {"accounts": 1, "top_account": 1}) as b:
        path = write_file(workdir, "job.sql", SQL)
        state = os.path.join(workdir, "job.db")
        runs = [
            ([rec(1, 30.0), rec(2, 20.0), rec(3, 10.0)], {"id": 1, "balance": 30.0}),
            ([rec(2, 5.0)], {"id": 1, "balance": 30.0}),
            ([rec(1, None)], {"id": 3, "balance": 10.0}),
        ]
        for n, (recs, top) in enumerate(runs, 1):
            produce(b.bootstrap, "accounts", recs)
            run_bounded(eddy, b.bootstrap, path, workdir, state=state)
            want = {json.dumps({"region": "eu", "rn": 1}, sort_keys=True): dict(region="eu", rn=1, **top)}
            got = {json.dumps(json.loads(k), sort_keys=True): v for k, v in fold_upsert(read_topic(b.bootstrap, "top_account")).items()}
            check_table("top_account after run %d" % n, got, want)


if __name__ == "__main__":
    main(test)
