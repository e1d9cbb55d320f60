#!/usr/bin/env bash
# bench/monitor_bench.sh [N] — what monitoring costs.
#
# On one `eddy broker` (orders_raw with 16 partitions):
#   1. produces N reference orders (JSON, lz4) at full speed;
#   2. in REPEAT interleaved rounds (default 3), times the reference job
#      (sql/orders.sql, `eddy run --bounded --state none`) on those N
#      orders without monitoring, and with `--http 127.0.0.1:0` while a
#      scraper GETs /metrics every second — the same N records each time;
#      prints each time, the medians and the ratio (cost of monitoring);
#   (end-to-end latency at a steady rate: bench/latency_bench.sh)
#
# Environment: REPEAT=3, BUILD=/tmp/eddy-bench-build
# (a Release tree it configures and builds), EDDY=path (use this binary),
# BASE=path (also time this eddy binary — e.g. one built before monitoring
# existed — without --http: what the always-on counting costs).
set -euo pipefail
# One job on one thread, as these figures always were (`eddy run` uses every
# core by default; bench/run.sh's *_p2 phases ask for 2 worker threads).
export EDDY_PARALLELISM=${EDDY_PARALLELISM:-1}

N=${1:-1000000}
REPEAT=${REPEAT:-3}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=${BUILD:-/tmp/eddy-bench-build}
WORK=$(mktemp -d /tmp/eddy-monbench.XXXXXX)
BPID=
cleanup() {
    [ -n "$BPID" ] && kill "$BPID" 2>/dev/null && wait "$BPID" 2>/dev/null || true
    jobs -p | xargs -r kill 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
die() { echo "monitor_bench: $*" >&2; exit 1; }
. "$HERE/lib.sh"
bench_eddy "$BUILD"

cd "$WORK"
bench_broker --topic orders_raw:16
BS=$B
echo "broker at $BS; producing $N orders" >&2
"$EDDY" gen orders --bootstrap "$BS" --topic orders_raw --count "$N" --seed 1 > /dev/null 2>&1

# Each run's wall time and CPU seconds (user + sys of the eddy process, all
# its threads) from /usr/bin/time, into $1.time as "wall cpu".
TIME=/usr/bin/time
# without --http; the same scraper loop runs beside it (against a port
# nothing listens on), so that both runs share the machine alike
run_off() {
    $TIME -f "%e %U %S" -o off.time "$EDDY" run --bounded --state none --no-progress --bootstrap "$BS" "$ROOT/sql/orders.sql" \
        > /dev/null 2> off.err &
    local pid=$!
    while kill -0 $pid 2>/dev/null; do curl -s "http://127.0.0.1:1/metrics" > /dev/null || true; sleep 1; done
    wait $pid
}
run_base() { $TIME -f "%e %U %S" -o base.time "$BASE" run --bounded --state none --bootstrap "$BS" "$ROOT/sql/orders.sql" > /dev/null 2> base.err; }
# with --http, and a scraper GETting /metrics every second beside it
run_on() {
    $TIME -f "%e %U %S" -o on.time "$EDDY" run --bounded --state none --no-progress --http 127.0.0.1:0 --bootstrap "$BS" \
        "$ROOT/sql/orders.sql" > /dev/null 2> on.err &
    local pid=$!
    local url=
    for _ in $(seq 500); do url=$(grep -o 'http://127.0.0.1:[0-9]*/' on.err 2>/dev/null | head -1 || true); [ -n "$url" ] && break; sleep 0.01; done
    while kill -0 $pid 2>/dev/null; do curl -s "${url}metrics" > /dev/null || true; sleep 1; done
    wait $pid
}
wall() { awk '{print $1}' "$1"; }
cpu() { awk '{print $2 + $3}' "$1"; }
check_n() { grep -q "$N records in" "$1" || { cat "$1" >&2; echo "bench: a job did not read $N records" >&2; exit 1; }; }
off=() on=() base=() offc=() onc=() basec=()
for r in $(seq "$REPEAT"); do
    if [ -n "${BASE:-}" ]; then
        run_base; check_n base.err; base+=("$(wall base.time)"); basec+=("$(cpu base.time)")
    fi
    run_off; check_n off.err; off+=("$(wall off.time)"); offc+=("$(cpu off.time)")
    run_on; check_n on.err; on+=("$(wall on.time)"); onc+=("$(cpu on.time)")
    echo "round $r: off ${off[-1]} s (${offc[-1]} CPU s), on ${on[-1]} s (${onc[-1]} CPU s)${BASE:+, base ${base[-1]} s (${basec[-1]} CPU s)}" >&2
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
moff=$(median "${off[@]}"); mon=$(median "${on[@]}"); coff=$(median "${offc[@]}"); con=$(median "${onc[@]}")
printf '\nreference job, %d orders, median of %d rounds (wall = start to exit; CPU = user + sys of eddy):\n' "$N" "$REPEAT"
printf '  monitoring off: %6.3f s  %9.0f orders/s  %6.3f CPU s\n' "$moff" "$(echo "$N / $moff" | bc -l)" "$coff"
printf '  monitoring on:  %6.3f s  %9.0f orders/s  %6.3f CPU s  (--http, /metrics scraped every second)\n' "$mon" "$(echo "$N / $mon" | bc -l)" "$con"
printf '  cost of monitoring: wall %+.1f %%, CPU %+.1f %%\n' "$(echo "($mon / $moff - 1) * 100" | bc -l)" "$(echo "($con / $coff - 1) * 100" | bc -l)"
if [ -n "${BASE:-}" ]; then
    mbase=$(median "${base[@]}"); cbase=$(median "${basec[@]}")
    printf '  base binary (no monitoring code): %6.3f s  %9.0f orders/s  %6.3f CPU s; off vs base: wall %+.1f %%, CPU %+.1f %%\n' "$mbase" \
        "$(echo "$N / $mbase" | bc -l)" "$cbase" "$(echo "($moff / $mbase - 1) * 100" | bc -l)" "$(echo "($coff / $cbase - 1) * 100" | bc -l)"
fi
