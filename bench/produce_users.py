"""bench/produce_users.py BOOTSTRAP N — produces users 1..N to the upsert
topic `users` (key {"user_id": u}, value {"user_id", "name", "tier"}), the
table bench/sql/join_enrich.sql joins the orders with."""
import json
import sys

from confluent_kafka import Producer

bootstrap, n = sys.argv[1], int(sys.argv[2])
p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 50, "compression.type": "lz4"})
tiers = ["bronze", "silver", "gold"]
for u in range(1, n + 1):
    key = json.dumps({"user_id": u})
    value = json.dumps({"user_id": u, "name": "user %d" % u, "tier": tiers[u % 3]})
    while True:
        try:
            p.produce("users", key=key, value=value)
            break
        except BufferError:
            p.poll(0.05)
    p.poll(0)
sys.exit(1 if p.flush(60) else 0)
