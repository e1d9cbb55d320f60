#!/usr/bin/env bash
# bench/avro_bench.sh [N] — Avro decoding: what it costs per event, next to
# JSON and the raw consumer, in one run.
#
#   1. builds eddy (Release) and bench/avro_bench.c against its libeddy.a;
#   2. avro_bench N: decode alone, ns/record — JSON, Avro through eddy's
#      compiled decoder, and touching every byte (the raw consumer's
#      per-record work);
#   3. on one `eddy broker` (and its registry): N reference orders as JSON
#      (orders_json) and as Avro in the Confluent wire format (orders_avro,
#      `eddy gen --format avro-confluent`), 16 partitions each, lz4;
#   4. times, each the best of REPEAT runs: raw_consumer.c on each topic;
#      the reference job (`eddy run --bounded --state none`) on JSON, on
#      Avro with the compiled decoder (orders_avro from the registry, as in
#      sql/orders_avro.sql);
#   5. prints CPU ns per event, events/s and the ratios, and the share of
#      each eddy job's CPU per event that decoding takes (step 2's figure
#      over step 4's).
#
# Environment: REPEAT=3, BUILD=/tmp/eddy-avro-bench (Release tree), KEEP=1.
set -euo pipefail
# One job on one thread, as these figures always were (`eddy run` uses every
# core by default; bench/run.sh's *_p2 phases ask for 2 worker threads).
export EDDY_PARALLELISM=${EDDY_PARALLELISM:-1}

N=${1:-1000000}
REPEAT=${REPEAT:-3}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=${BUILD:-/tmp/eddy-avro-bench}
WORK=$(mktemp -d /tmp/eddy-avro-bench.XXXXXX)
BPID=

log() { printf '%s\n' "$*" >&2; }
die() {
    log "avro_bench: $*"
    KEEP=1
    exit 1
}
cleanup() {
    bench_broker_stop
    if [ "${KEEP:-0}" = 1 ]; then log "avro_bench: outputs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
. "$HERE/lib.sh"

log "avro_bench: building eddy (Release) in $BUILD"
bench_build "$BUILD" eddy
EDDY=$BUILD/eddy
# shellcheck disable=SC2046
gcc -O2 -Wall $(bench_includes "$BUILD") -o "$WORK/avro_bench" "$HERE/avro_bench.c" $(bench_libs "$BUILD") ||
    die "cannot build avro_bench"
gcc -O2 -Wall -o "$WORK/raw_consumer" "$HERE/raw_consumer.c" -lrdkafka || die "cannot build raw_consumer"

log "avro_bench: decode alone"
"$WORK/avro_bench" "$N" 5 | tee "$WORK/micro.txt"
micro() { awk -v k="$1" 'index($0, k) == 1 { print $NF }' "$WORK/micro.txt"; }

bench_broker --topic orders_json:16 --topic orders_avro:16 --topic sum_json:4 --topic sum_avro:4
case $R in http://127.0.0.1:[0-9]*) ;; *) die "eddy broker did not start its registry" ;; esac

"$EDDY" gen orders --topic orders_json --count "$N" --seed 1 --bootstrap "$B" 2> "$WORK/gen_json.err" || die "gen json"
"$EDDY" gen orders --topic orders_avro --count "$N" --seed 1 --bootstrap "$B" --format avro-confluent --registry "$R" \
    2> "$WORK/gen_avro.err" || die "gen avro"

cat > "$WORK/json.sql" <<EOF
CREATE TABLE orders_json (order_id BIGINT, user_id BIGINT, amount DOUBLE, region STRING);
CREATE TABLE sum_json (region STRING PRIMARY KEY NOT ENFORCED, total_orders BIGINT, total_sales DOUBLE,
  avg_order_value DOUBLE) WITH ('changelog.mode' = 'upsert');
INSERT INTO sum_json SELECT region, COUNT(*), SUM(amount), ROUND(AVG(amount), 2) FROM orders_json GROUP BY region;
EOF
for s in avro; do
cat > "$WORK/$s.sql" <<EOF
CREATE TABLE sum_$s (region STRING PRIMARY KEY NOT ENFORCED, total_orders BIGINT, total_sales DOUBLE,
  avg_order_value DOUBLE) WITH ('changelog.mode' = 'upsert', 'format' = 'avro-confluent');
INSERT INTO sum_$s SELECT region, COUNT(*), SUM(amount), ROUND(AVG(amount), 2) FROM orders_avro GROUP BY region;
EOF
done

# best NAME CMD...: the fastest of REPEAT runs (by CPU); sets CPU and WALL.
best() {
    local name=$1
    shift
    CPU=
    WALL=
    for i in $(seq "$REPEAT"); do
        local t0 t1 c w
        t0=$EPOCHREALTIME
        /usr/bin/time -f '%U %S' -o "$WORK/$name.time" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" || {
            tail -n 5 "$WORK/$name.err" >&2
            die "$name failed"
        }
        t1=$EPOCHREALTIME
        c=$(awk 'END{printf "%.3f", $1 + $2}' "$WORK/$name.time")
        w=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b - a}')
        if [ -z "$CPU" ] || awk -v a="$c" -v b="$CPU" 'BEGIN{exit !(a < b)}'; then CPU=$c; WALL=$w; fi
    done
}

declare -A C W
best raw_json "$WORK/raw_consumer" "$B" orders_json "$N"
C[raw_json]=$CPU W[raw_json]=$WALL
best raw_avro "$WORK/raw_consumer" "$B" orders_avro "$N"
C[raw_avro]=$CPU W[raw_avro]=$WALL
best json "$EDDY" run --bounded --state none --bootstrap "$B" "$WORK/json.sql"
C[json]=$CPU W[json]=$WALL
best avro "$EDDY" run --bounded --state none --bootstrap "$B" --registry "$R" "$WORK/avro.sql"
C[avro]=$CPU W[avro]=$WALL
for j in json avro; do
    grep -Eq "(stopped|finished): $N records in" "$WORK/$j.err" || die "$j did not read $N records: $(tail -n 2 "$WORK/$j.err")"
done

ns() { awk -v c="$1" -v n="$N" 'BEGIN{printf "%.0f", c * 1e9 / n}'; }
printf '\n%-44s %8s %8s %10s %10s %8s\n' "run ($N events, best of $REPEAT)" "wall s" "CPU s" "events/s" "CPU ns/ev" "x raw"
row() {
    local name=$1 label=$2 raw=$3
    printf '%-44s %8s %8s %10s %10s %8s\n' "$label" "${W[$name]}" "${C[$name]}" \
        "$(awk -v w="${W[$name]}" -v n="$N" 'BEGIN{printf "%.0f", n / w}')" "$(ns "${C[$name]}")" \
        "$(awk -v a="${C[$name]}" -v b="${C[$raw]}" 'BEGIN{printf "%.1f", a / b}')"
}
row raw_json "raw consumer, JSON topic" raw_json
row raw_avro "raw consumer, Avro topic" raw_avro
row json "eddy reference job, JSON" raw_json
row avro "eddy reference job, Avro, compiled decoder" raw_avro

share() { awk -v d="$1" -v c="$2" -v n="$N" 'BEGIN{printf "%.0f%%", 100 * d / (c * 1e9 / n)}'; }
printf '\n%-44s %10s %10s %8s\n' "decode share of the job's CPU per event" "decode ns" "job ns/ev" "share"
for j in json avro; do
    case $j in
    json) d=$(micro "JSON (eddy's json_decode): region, amount") ;;
    avro) d=$(micro "Avro, eddy's compiled decoder: region, amount") ;;
    esac
    printf '%-44s %10s %10s %8s\n' "$j" "$d" "$(ns "${C[$j]}")" "$(share "$d" "${C[$j]}")"
done
