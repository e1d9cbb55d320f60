"""nexmark/connector — the 'nexmark' source connector.

1. Same events as `eddy gen nexmark`: the generator writes 400 events
   (seed 7, 1000 events/s of event time) to a one-partition topic; the
   same query over bench/nexmark/ddl.sql's Kafka table and over a
   'nexmark' table with the same seed and rate prints the same rows, in
   the same order (every field of person, auction, bid, and dateTime).
2. A restart goes on where the checkpoint left it: a rate-limited run
   stopped (SIGTERM) in the middle, then run again with its state, prints
   exactly the rows of one uninterrupted run — none repeated, none lost.
3. The declared columns are checked against what the generator makes: a
   ROW with a missing field, a field of another type, an unknown column
   are errors naming the column.
"""
import os
import re
import signal
import subprocess
import time

from eddyharness import REPO, Broker, check, main, read_text, run, run_bounded, step, write_file

DDL = read_text(os.path.join(REPO, "bench", "nexmark", "ddl.sql"))
KAFKA_WITH = """    'connector' = 'kafka',
    'topic' = 'nexmark',
    'scan.startup.mode' = 'earliest-offset',
    'format' = 'json'"""


def nexmark_ddl(opts):
    check(KAFKA_WITH in DDL, "bench/nexmark/ddl.sql's WITH clause changed")
    return DDL.replace(KAFKA_WITH, ",\n".join("    '%s' = '%s'" % kv for kv in opts))


def sink_sql(ddl):
    """ddl plus a print table of the source's physical columns and dateTime."""
    cols = DDL[DDL.index("CREATE TABLE nexmark (") + len("CREATE TABLE nexmark ("):DDL.index(",\n    `dateTime` AS")]
    return (ddl + "\nCREATE TABLE p (%s,\n    dt TIMESTAMP(3)) WITH ('connector' = 'print');\n" % cols
            + "INSERT INTO p SELECT event_type, person, auction, bid, `dateTime` FROM nexmark;\n")


def rows(out):
    return [l for l in out.splitlines() if l.startswith("+I[")]


def tests(eddy, wd):
    step("1. the connector's events are `eddy gen nexmark`'s")
    with Broker(eddy, wd, {"nexmark": 1}) as b:
        g = run([eddy, "gen", "nexmark", "--bootstrap", b.bootstrap, "--count", "400", "--seed", "7",
             "--event-rate", "1000"])
        step(g.err.strip())
        kafka = write_file(wd, "kafka.sql", sink_sql(DDL))
        r = run_bounded(eddy, b.bootstrap, kafka, state="none")
        from_kafka = rows(r.out)
        check(len(from_kafka) == 400, "%d rows read back from Kafka, expected 400: %s" % (len(from_kafka), r.err))
    gen = write_file(wd, "gen.sql", sink_sql(nexmark_ddl([("connector", "nexmark"), ("events.num", "400"),
                                                          ("first-event.rate", "1000"), ("seed", "7")])))
    from_gen = rows(run([eddy, "run", "--bounded", "--state", "none", gen]).out)
    check(len(from_kafka) == 400, "%d rows read back from Kafka, expected 400" % len(from_kafka))
    check(sum(1 for r in from_gen if r.startswith("+I[2, NULL, NULL, (")) > 300, "bids: %r" % from_gen[:3])
    for i, (k, g) in enumerate(zip(from_kafka, from_gen)):
        check(k == g, "event %d differs:\n  from Kafka: %s\n  connector:  %s" % (i + 1, k, g))
    check(len(from_gen) == 400, "the connector made %d events, expected 400" % len(from_gen))
    plan = run([eddy, "explain", gen]).out
    check("connector=[nexmark], events.num=[400], first-event.rate=[1000], seed=[7]" in plan, plan)

    step("2. a restart goes on at the next event")
    limited = write_file(wd, "limited.sql", "SET 'execution.checkpointing.interval' = '100 ms';\n" + sink_sql(
        nexmark_ddl([("connector", "nexmark"), ("events.num", "3000"), ("first-event.rate", "2000"), ("rate.limited", "true")])))
    state = os.path.join(wd, "limited.state")
    out_path = os.path.join(wd, "first.out")
    with open(out_path, "w") as out:
        p = subprocess.Popen([eddy, "run", limited, "--state", state], stdout=out, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 30
        while os.path.getsize(out_path) == 0 and p.poll() is None and time.time() < deadline:
            time.sleep(0.02)
        time.sleep(0.4)
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=60)
    check(p.returncode == 0, "the first run exited %d: %s" % (p.returncode, err))
    first = rows(read_text(out_path))
    second = rows(run([eddy, "run", limited, "--state", state], timeout=60).out)
    whole = rows(run([eddy, "run", "--bounded", "--state", "none", limited]).out)
    check(len(whole) == 3000, "an uninterrupted run made %d events" % len(whole))
    check(0 < len(first) < 3000, "the first run made %d events before its stop" % len(first))
    check(first + second == whole, "stopped after %d, then %d more: not the uninterrupted run's %d"
          % (len(first), len(second), len(whole)))

    step("3. the declared columns are checked")
    base = nexmark_ddl([("connector", "nexmark")])
    cases = [
        (base.replace("        `dateTime` TIMESTAMP(3),\n        extra VARCHAR>,\n    auction",
                      "        `dateTime` TIMESTAMP(3)>,\n    auction"), "column 'person' has 7 fields, not 8"),
        (base.replace("        initialBid BIGINT,", "        initialBid INT,"),
         "column 'auction' has field 'initialBid' of type INT, not BIGINT"),
        (base.replace("    event_type INT,", "    event_type INT,\n    foo INT,"), "column 'foo': the nexmark connector makes"),
    ]
    for i, (sql, want) in enumerate(cases):
        r = run([eddy, "explain", write_file(wd, "bad%d.sql" % i, sql)], expect=None)
        check(r.rc != 0 and want in r.err, "case %d: exit %d, expected an error with %r:\n%s" % (i, r.rc, want, r.err))


main(tests)
