"""e2e/broker_port — `eddy broker --port N --registry-port M`: the bootstrap
address is 127.0.0.1:N and the registry's URL http://127.0.0.1:M (first and
second lines), both listening on loopback only; Kafka clients bootstrap
there and produce and consume as usual (eddy gen in, a confluent_kafka
consumer out, and an eddy job through it); a port already taken is an
error naming it (exit 1); --port 0 (the default) picks a free port and
prints it; a port out of range is a usage error."""

import json
import socket
import urllib.request

from eddyharness import Broker, check, gen_orders, main, read_topic, run, step, write_file


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listens_on(port):
    """The local addresses of sockets listening on port (from /proc/net/tcp)."""
    found = []
    for line in open("/proc/net/tcp").read().split("\n")[1:]:
        f = line.split()
        if len(f) > 3 and f[3] == "0A":   # LISTEN
            addr, p = f[1].split(":")
            if int(p, 16) == port:
                found.append(socket.inet_ntoa(bytes.fromhex(addr)[::-1]))
    return found


def test(eddy, workdir):
    port, rport = free_port(), free_port()
    with Broker(eddy, workdir, {"orders_raw": 2}, extra=["--port", str(port), "--registry-port", str(rport)]) as b:
        check(b.bootstrap == "127.0.0.1:%d" % port, "bootstrap %r, expected 127.0.0.1:%d" % (b.bootstrap, port))
        check(b.registry == "http://127.0.0.1:%d" % rport, "registry %r, expected port %d" % (b.registry, rport))
        check(listens_on(port) == ["127.0.0.1"] and listens_on(rport) == ["127.0.0.1"],
              "not on loopback only: %r %r" % (listens_on(port), listens_on(rport)))
        step("first line 127.0.0.1:%d, second http://127.0.0.1:%d, loopback only" % (port, rport))

        gen_orders(eddy, b.bootstrap, "orders_raw", 50, 3)
        recs = read_topic(b.bootstrap, "orders_raw")
        check(len(recs) == 50, "read %d records through 127.0.0.1:%d, expected 50" % (len(recs), port))
        sql = write_file(workdir, "count.sql", "CREATE TABLE orders_raw (order_id BIGINT, region STRING) "
                         "WITH ('scan.startup.mode' = 'earliest-offset');\nSELECT COUNT(*) AS n FROM orders_raw;\n")
        out = run([eddy, "run", "--bounded", "--state", "none", "--bootstrap", b.bootstrap, sql], timeout=60).out
        check(out.strip().split("\n")[-1] in ("+I[50]", "+U[50]"), "eddy run through the port: %r" % out[-300:])
        with urllib.request.urlopen(b.registry + "/subjects", timeout=10) as r:
            check(json.loads(r.read()) == [], "GET /subjects")
        step("eddy gen, a Kafka consumer, an eddy job and the registry work through the chosen ports")

        r = run([eddy, "broker", "--port", str(port)], expect=1, timeout=30)
        check("--port %d: cannot listen on 127.0.0.1:%d: Address already in use" % (port, port) in r.err,
              "a taken port: %r" % r.err)
        r = run([eddy, "broker", "--registry-port", str(rport)], expect=1, timeout=30)
        check("--registry-port" in r.err and "127.0.0.1:%d" % rport in r.err, "a taken registry port: %r" % r.err)
        step("a port in use is an error that names it (exit 1)")

    with Broker(eddy, workdir, extra=["--port", "0"]) as b:
        check(b.bootstrap != "127.0.0.1:0", "--port 0 printed port 0")
    r = run([eddy, "broker", "--port", "70000"], expect=2, timeout=30)
    check("--port" in r.err, "--port 70000: %r" % r.err)
    step("--port 0 picks a free port; --port 70000 is a usage error")


main(test)
