"""avro/registry_bounds — the development Schema Registry holds at most
10,000 distinct schemas: a registry whose --registry-state file holds
10,000 starts and serves them; one more new schema is refused (507, error
code 50001, naming the limit) and is not stored, while a schema it already
holds can still be registered under another subject; the broker lives on.
(The size bound of one schema, and subjects that are not UTF-8, are
avro/interop's.)"""

import json
import os

from eddyharness import Broker, check, main, step
from avrotest import http

LIMIT = 10000


def schema(name):
    return json.dumps({"type": "record", "name": name, "fields": [{"name": "a", "type": "long"}]})


def test(eddy, workdir):
    state = os.path.join(workdir, "registry.log")
    with open(state, "w") as f:
        for i in range(LIMIT):
            f.write(json.dumps({"subject": "s%d-value" % i, "schema": schema("R%d" % i)}) + "\n")
    # Replaying 10,000 registrations takes seconds under ASan on a loaded machine.
    with Broker(eddy, workdir, extra=["--registry-state", state], start_timeout=150) as b:
        reg = b.registry
        st, subjects = http("GET", reg + "/subjects")
        check(st == 200 and len(subjects) == LIMIT, "subjects after replay: %s %d" % (st, len(subjects)))
        step("%d schemas from the state file" % LIMIT)

        st, e = http("POST", reg + "/subjects/one-more-value/versions", {"schema": schema("OneMore")})
        check(st == 507 and e["error_code"] == 50001 and "limit" in e["message"], "schema %d: %s %r" % (LIMIT + 1, st, e))
        st, subjects = http("GET", reg + "/subjects")
        check("one-more-value" not in subjects, "the refused schema's subject was stored")
        st, got = http("POST", reg + "/subjects/again-value/versions", {"schema": schema("R7")})
        check(st == 200 and isinstance(got.get("id"), int), "a known schema under a new subject: %s %r" % (st, got))
        b.check_alive()
        step("schema %d is refused (507, 50001); one already held is still accepted" % (LIMIT + 1))


main(test)
