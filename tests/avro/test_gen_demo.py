"""avro/gen_demo — `eddy gen orders --format avro-confluent --registry URL`
produces the same orders as the JSON generator (same seed), framed and
registered as Confluent's clients expect (their Avro deserializer reads them);
sql/orders_avro.sql aggregates them; and `eddy demo --avro` runs the whole
reference pipeline in Avro with its own registry."""

import json
import os
import re

from avrotest import avro_table, check_summary, http, read_avro, run_job, summary_of
from eddyharness import REPO, Broker, check, gen_orders, main, read_topic, run, step

N = 4000


def test(eddy, work):
    with Broker(eddy, work, {"orders_raw": 4, "orders_json": 4, "orders_summary": 4}) as b:
        gen_orders(eddy, b.bootstrap, "orders_raw", N, 5, extra=["--format", "avro-confluent", "--registry", b.registry])
        gen_orders(eddy, b.bootstrap, "orders_json", N, 5)
        err = run([eddy, "gen", "orders", "--topic", "x", "--bootstrap", b.bootstrap, "--format", "avro-confluent"], expect=2,
                  env={"EDDY_REGISTRY": ""}).err
        check("--registry" in err, "gen without a registry: %s" % err)
        err = run([eddy, "gen", "orders", "--topic", "x", "--bootstrap", b.bootstrap, "--format", "xml"], expect=2).err
        check("--format must be json or avro-confluent" in err, "gen --format xml: %s" % err)

        avro_recs = read_avro(b, "orders_raw")
        json_recs = read_topic(b.bootstrap, "orders_json")
        check(len(avro_recs) == N and len(json_recs) == N, "read %d Avro and %d JSON orders" % (len(avro_recs), len(json_recs)))
        by_id = {json.loads(m.value)["order_id"]: json.loads(m.value) for m in json_recs}
        for m in avro_recs:
            k, v = m.key, m.value
            check(k == {"order_id": v["order_id"]}, "key %r of order %r" % (k, v))
            check(v == by_id[v["order_id"]], "Avro order %r differs from the JSON one %r" % (v, by_id[v["order_id"]]))
        st, subjects = http("GET", b.registry + "/subjects")
        check(sorted(subjects) == ["orders_raw-key", "orders_raw-value"], "subjects: %r" % (subjects,))
        step("eddy gen --format avro-confluent: %d orders, the same as the JSON ones, read by the Avro deserializer" % N)

        run_job(eddy, b, os.path.join(REPO, "sql", "orders_avro.sql"))
        got = avro_table(read_avro(b, "orders_summary"), "region")
        check_summary(got, summary_of([(m.value["region"], m.value["amount"]) for m in avro_recs]), "orders_summary")
        step("sql/orders_avro.sql over them: the summary matches")

    out = run([eddy, "demo", "--avro", "--seconds", "4", "--rate", "400"], timeout=90).out
    check(re.search(r"schema registry at http://127\.0\.0\.1:[0-9]+", out), "demo --avro did not show its registry:\n%s" % out)
    check("running sql/orders_avro.sql" in out, "demo --avro did not run sql/orders_avro.sql:\n%s" % out)
    m = re.findall(r"^\(all\)\s+([0-9]+)$", out, re.M)
    check(m and int(m[-1]) > 0, "demo --avro showed no orders:\n%s" % out[-2000:])
    m = re.search(r"stopped after ([0-9]+) orders; the job read ([0-9]+) records and wrote ([0-9]+)", out)
    check(m and int(m.group(2)) > 0 and int(m.group(3)) > 0, "demo --avro summary line:\n%s" % out[-1000:])
    step("eddy demo --avro: %s orders produced, %s read, %s summary records written" % m.groups())


main(test)
