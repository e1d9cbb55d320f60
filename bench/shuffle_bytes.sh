#!/usr/bin/env bash
# bench/shuffle_bytes.sh [N] — what a job run as tasks (--parallelism 2)
# ships through its repartition topic per input record, with and without
# the local pre-aggregation (two-phase aggregation, docs/scaling.md):
#
#   reference job   (sql/orders.sql: GROUP BY region, 5 regions)
#   GROUP BY user   (bench/sql/orders_by_user.sql: 100,000 users)
#
# each run twice, 'table.optimizer.agg-phase-strategy' = 'TWO_PHASE' (the
# default: LocalGroupAggregate ships one partial row per key and
# mini-batch) and 'ONE_PHASE' (every row shipped).  For each run it reads
# the records the run added to the exchange topic `<job>-x0` (Kafka
# messages: rows records, each the rows of a batch bound for one partition,
# and the commit markers; key and value bytes as the producer sent them,
# before compression) and prints records and bytes per input order.  Each run's
# sink table is compared with the other strategy's: the same rows.
#
# Environment: EDDY (default build/eddy), PY (default /usr/bin/python3).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
N=${1:-1000000}
EDDY=${EDDY:-$ROOT/build/eddy}
PY=${PY:-/usr/bin/python3}
WORK=$(mktemp -d /tmp/eddy-shuffle.XXXXXX)
BPID=
cleanup() { [ -n "$BPID" ] && kill "$BPID" 2> /dev/null; wait 2> /dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
die() { echo "shuffle_bytes: $*" >&2; exit 1; }
. "$HERE/lib.sh"
[ -x "$EDDY" ] || die "no eddy at $EDDY (build it, or set EDDY)"

bench_broker --topic orders_raw:16 --topic orders_summary:16 --topic orders_summary-x0:16 \
    --topic orders_by_user:16 --topic orders_by_user-x0:16
"$EDDY" gen orders --topic orders_raw --count "$N" --seed 42 --users 100000 --bootstrap "$B" 2> "$WORK/gen.err" ||
    die "eddy gen failed: $(cat "$WORK/gen.err")"

# topic.py offsets B TOPIC            → "p:end p:end …"
# topic.py count B TOPIC "p:start …"  → "records bytes" added since those offsets
# topic.py table B TOPIC              → the upsert table the topic holds, as sorted JSON lines
cat > "$WORK/topic.py" <<'EOF'
import json, sys
from confluent_kafka import Consumer, TopicPartition
cmd, bootstrap, topic = sys.argv[1:4]
c = Consumer({"bootstrap.servers": bootstrap, "group.id": "shuffle-bytes", "enable.auto.commit": False,
              "queued.min.messages": 1000000})
parts = sorted(c.list_topics(topic, timeout=10).topics[topic].partitions)
ends = {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in parts}
if cmd == "offsets":
    print(" ".join("%d:%d" % (p, ends[p]) for p in parts))
    sys.exit(0)
starts = dict((int(a), int(b)) for a, b in (x.split(":") for x in sys.argv[4].split())) if cmd == "count" else {p: 0 for p in parts}
want = sum(ends[p] - starts.get(p, 0) for p in parts)
c.assign([TopicPartition(topic, p, starts.get(p, 0)) for p in parts if ends[p] > starts.get(p, 0)])
n = nbytes = 0
table = {}
while n < want:
    m = c.poll(10)
    if m is None:
        sys.exit("%s: %d of %d records read" % (topic, n, want))
    if m.error():
        continue
    n += 1
    nbytes += len(m.key() or b"") + len(m.value() or b"")
    if cmd == "table":
        if m.value() is None:
            table.pop(m.key(), None)
        else:
            table[m.key()] = json.loads(m.value())
if cmd == "count":
    print(n, nbytes)
else:
    for k in sorted(table):
        print(json.dumps(table[k], sort_keys=True))
EOF

printf '| job | agg-phase-strategy | records shipped / order | bytes shipped / order | job wall s | job CPU s |\n'
printf '| --- | --- | ---: | ---: | ---: | ---: |\n'
for job in reference by_user; do
    case $job in
    reference) sql=$ROOT/sql/orders.sql sink=orders_summary ;;
    by_user) sql=$HERE/sql/orders_by_user.sql sink=orders_by_user ;;
    esac
    for strategy in TWO_PHASE ONE_PHASE; do
        run=$WORK/$job-$strategy
        { printf "SET 'table.optimizer.agg-phase-strategy' = '%s';\n" "$strategy"; cat "$sql"; } > "$run.sql"
        before=$("$PY" "$WORK/topic.py" offsets "$B" "$sink-x0")
        /usr/bin/time -f '%e %U %S' -o "$run.time" "$EDDY" run --bounded --no-progress --parallelism 2 --bootstrap "$B" \
            --state "$run.db" "$run.sql" > "$run.out" 2> "$run.err" || die "$job $strategy: $(tail -n 3 "$run.err")"
        read -r recs bytes <<< "$("$PY" "$WORK/topic.py" count "$B" "$sink-x0" "$before")"
        read -r wall u s < "$run.time"
        printf '| %s | %s | %s | %s | %s | %s |\n' "$job" "$strategy" "$(echo "scale=4; $recs / $N" | bc)" \
            "$(echo "scale=2; $bytes / $N" | bc)" "$wall" "$(echo "$u + $s" | bc)"
        # each run starts from nothing and writes every key's final row: the
        # topic's table after the second run equals the first's only if the
        # two strategies computed the same rows
        "$PY" "$WORK/topic.py" table "$B" "$sink" > "$run.table"
    done
    "$PY" - "$WORK/$job-TWO_PHASE.table" "$WORK/$job-ONE_PHASE.table" <<'EOF2' || die "$job: ONE_PHASE's table differs from TWO_PHASE's"
import json, math, sys
a, b = ([json.loads(l) for l in open(f)] for f in sys.argv[1:3])
def same(x, y):   # sums of doubles merged in another order may differ in the last bits
    return x.keys() == y.keys() and all(
        math.isclose(x[k], y[k], rel_tol=1e-9) if isinstance(x[k], float) else x[k] == y[k] for k in x)
sys.exit(0 if len(a) == len(b) and all(same(x, y) for x, y in zip(a, b)) else 1)
EOF2
done
