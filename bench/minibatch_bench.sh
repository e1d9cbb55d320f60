#!/usr/bin/env bash
# bench/minibatch_bench.sh [N] — what Flink's changelog costs:
# 'table.exec.mini-batch.enabled' = 'false' (every row on its own) against
# the default (mini-batches), over Kafka, in one run.
#
# One `eddy broker` with orders_raw on 16 partitions; N reference orders
# (default 500,000; `eddy gen orders --users 100000`).  Each round runs
# `eddy run --bounded --state none` on
#   region_on / region_off   the reference job (sql/orders.sql: GROUP BY
#                            region, 5 groups) with mini-batch on / off;
#   user_on / user_off       the same per user_id (bench/sql/orders_by_user.sql,
#                            ~100k groups);
# each into a topic of its own, and counts the records it wrote.  Rounds
# are interleaved (REPEAT, default 3); the median wall time of each job is
# reported with events/s and the off/on ratio.  Environment: REPEAT=3,
# EDDY=path (else a Release tree in BUILD, default /tmp/eddy-bench-build, is
# configured and built).
set -euo pipefail
# One job on one thread, as these figures always were (`eddy run` uses every
# core by default; bench/run.sh's *_p2 phases ask for 2 worker threads).
export EDDY_PARALLELISM=${EDDY_PARALLELISM:-1}

N=${1:-500000}
REPEAT=${REPEAT:-3}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=${BUILD:-/tmp/eddy-bench-build}
WORK=$(mktemp -d /tmp/eddy-mbbench.XXXXXX)
BPID=
cleanup() {
    [ -n "$BPID" ] && kill "$BPID" 2>/dev/null && wait "$BPID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
die() { echo "minibatch_bench: $*" >&2; exit 1; }
. "$HERE/lib.sh"
bench_eddy "$BUILD"

cd "$WORK"
bench_broker --topic orders_raw:16
BS=$B
"$EDDY" gen orders --bootstrap "$BS" --topic orders_raw --count "$N" --users 100000 --seed 1 > /dev/null 2> gen.err ||
    { cat gen.err >&2; exit 1; }
echo "broker at $BS; $N orders; $REPEAT round(s)" >&2

job_sql() {   # $1 sql file, $2 on|off, $3 output table/topic
    echo "SET 'table.exec.mini-batch.enabled' = '$([ "$2" = on ] && echo true || echo false)';"
    sed "s/orders_summary/$3/g; s/orders_by_user/$3/g" "$1"
}

: > times
for r in $(seq "$REPEAT"); do
    for job in region user; do
        for mode in on off; do
            src=$ROOT/sql/orders.sql
            [ "$job" = user ] && src=$HERE/sql/orders_by_user.sql
            out=${job}_${mode}_$r
            job_sql "$src" "$mode" "$out" > "$out.sql"
            t0=$(date +%s.%N)
            "$EDDY" run --bounded --state none --no-progress --bootstrap "$BS" "$out.sql" > /dev/null 2> "$out.err" ||
                { cat "$out.err" >&2; exit 1; }
            t1=$(date +%s.%N)
            recs=$(kcat -C -b "$BS" -t "$out" -e -q -f 'x\n' 2>/dev/null | wc -l)
            echo "${job}_$mode $r $(echo "$t1 - $t0" | bc) $recs" | tee -a times >&2
        done
    done
done

python3 - "$N" times <<'EOF'
import statistics, sys
n = int(sys.argv[1])
runs = {}
for line in open(sys.argv[2]):
    name, r, secs, recs = line.split()
    runs.setdefault(name, []).append((float(secs), int(recs)))
med = {k: statistics.median(s for s, _ in v) for k, v in runs.items()}
print("%-10s %10s %12s %14s %9s" % ("job", "median s", "events/s", "sink records", "off/on"))
for job in ("region", "user"):
    for mode in ("on", "off"):
        k = "%s_%s" % (job, mode)
        ratio = "%.2fx" % (med[k] / med[job + "_on"]) if mode == "off" else ""
        print("%-10s %10.2f %12.0f %14d %9s" % (k, med[k], n / med[k], runs[k][0][1], ratio))
EOF
