#!/usr/bin/env bash
# bench/run.sh [N] — eddy end to end over Kafka, side by side, in one run.
#
# On the topics of one `eddy broker` (orders_raw with 16 partitions: the mock
# keeps only ~5 MiB per partition), it
#   1. produces N reference orders (JSON, lz4; user_id uniform in 1..100000),
#   2. times raw_consumer.c: plain librdkafka reading every partition from
#      the beginning to the end and touching every byte — the limit,
#   3. times `eddy run --bounded` on the reference job (sql/orders.sql),
#   4. times python_baseline.py: confluent_kafka + json.loads + a dict of
#      per-region count/sum/avg — the obvious alternative,
#   5. times GROUP BY user_id (~100k keys, bench/sql/orders_by_user.sql),
#      with a state file as a user runs it and with `--state none`,
#   6. times a pass-through SELECT * into an append topic
#      (bench/sql/passthrough.sql),
#   7. times event-time windows per region: a 1-minute TUMBLE
#      (bench/sql/window_tumble.sql) and a 1-minute HOP sliding by 1 s
#      (bench/sql/window_hop.sql, size/slide = 60); the orders' record
#      timestamps advance 1 ms per order (`eddy gen --event-step`),
#   8. times joins (issue 12): the N orders enriched with an upsert table
#      of 100k users (a regular join, bench/sql/join_enrich.sql; topic
#      `users` produced here), and an interval join of two streams of N/2
#      events each (bench/sql/join_interval.sql; topics `auths` and `pays`
#      from `eddy gen --event-step '1 ms'`); the join's state at the end of
#      the enrichment run gives its bytes per kept row; the enrichment also
#      runs with `--state none` (join_enrich_nostate),
#   9. times Top-N and deduplication (issue 13): the top 3 users by sales
#      per region (ROW_NUMBER over GROUP BY region, user_id;
#      bench/sql/topn.sql) and the first row per order_id on processing
#      time (bench/sql/dedup.sql: every id is new, so N rows go out, as
#      from the pass-through job),
#  10. times REGEXP_EXTRACT and DATE_FORMAT on every order (issue 20;
#      bench/sql/regex_date.sql: the pass-through plus a match and a
#      formatting per row),
#  11. times the reference job, GROUP BY user_id and the pass-through again with
#      `--parallelism 2` (issue 19, docs/scaling.md: the job as tasks on 2
#      worker threads; every other phase runs with `--parallelism 1`),
# checks that each one processed exactly N records (and that eddy's
# orders_summary equals the Python result), and prints a table of events/s,
# CPU seconds and ratios with the targets of issues 3, 11 and 12.
#
# Every phase reads the same N records of the same topic.  The phases run
# in REPEAT rounds (default 5), interleaved, and each phase's fastest run is
# reported (the machine is shared; every run's time is listed under the
# table).  Wall time is the whole process, start to exit; CPU s is user+sys
# of that process, all its threads (/usr/bin/time); "broker CPU" is what the
# broker process spent meanwhile.
#
# Environment: REPEAT=5, BUILD=/tmp/eddy-bench-build (Release tree it
# configures and builds), EDDY=path (use this binary instead of building),
# KEEP=1 (keep the work directory with every output), PROFILE=1 (afterwards,
# perf-record each eddy job with a -g build and print the top functions),
# ONLY="phase …" (run only these phases, e.g. ONLY="passthrough join_enrich
# join_interval" for the joins against their yardstick; names as in
# phase_cmd below), MEDIAN=1 (report each phase's median run instead of its
# fastest: on a shared machine the fastest run of one phase and of another
# may come from quiet and busy moments alike).  The enrichment's target line
# also gives its ratio round by round (each enrichment run against the
# pass-through run of its own round: the median and the range).
set -euo pipefail
# One job on one thread, as these figures always were (also `eddy run`'s
# default unless EDDY_PARALLELISM says otherwise: this pins it against a
# caller's environment; the *_p2 phases ask for 2 worker threads).
export EDDY_PARALLELISM=${EDDY_PARALLELISM:-1}

N=${1:-1000000}
REPEAT=${REPEAT:-5}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=${BUILD:-/tmp/eddy-bench-build}
PY=/usr/bin/python3
WORK=$(mktemp -d /tmp/eddy-bench.XXXXXX)
BPID=

log() { printf '%s\n' "$*" >&2; }
die() {
    log "bench: $*"
    log "bench: outputs kept in $WORK"
    KEEP=1
    exit 1
}
cleanup() {
    bench_broker_stop
    if [ "${KEEP:-0}" = 1 ] || [ "${PROFILE:-0}" = 1 ]; then
        log "bench: outputs kept in $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
. "$HERE/lib.sh"

case $N in '' | *[!0-9]*) die "usage: bench/run.sh [N]" ;; esac

# ---- build ---------------------------------------------------------------
EDDY_GIVEN=${EDDY:-}
bench_eddy "$BUILD"
gcc -O2 -Wall -o "$WORK/raw_consumer" "$HERE/raw_consumer.c" -lrdkafka ||
    die "cannot build raw_consumer (librdkafka-dev installed?)"

# `eddy run --bounded 1` in older builds, `--bounded` (a flag) in newer ones.
if "$EDDY" run --help 2>&1 | grep -q -- '--bounded 0|1'; then
    BOUNDED=(--bounded 1)
else
    BOUNDED=(--bounded)
fi
# `--parallelism N` (worker threads) exists once jobs run as tasks: every
# phase but the *_p2 ones runs with 1, one job on one thread, as before.
PARALLEL=0
PAR1=()
if "$EDDY" run --help 2>&1 | grep -q -- '--parallelism'; then PARALLEL=1; PAR1=(--parallelism 1); fi
# `--state none` (no checkpoints) exists once state is implemented.
NOSTATE=0
"$EDDY" run --help 2>&1 | grep -q "'none'" && NOSTATE=1

# ---- broker --------------------------------------------------------------
# (The *-x0 topics are the internal topics of the --parallelism 2 phases'
# exchanges: 16 partitions, as the mock keeps only ~5 MiB per partition and
# every round writes them again.)
bench_broker --topic orders_raw:16 --topic orders_summary:16 \
    --topic orders_by_user:16 --topic orders_copy:16 \
    --topic sales_per_minute:16 --topic sales_last_minute:16 \
    --topic users:16 --topic orders_enriched:16 --topic auths:16 --topic pays:16 --topic matched:16 \
    --topic top_users:16 --topic orders_dedup:16 --topic orders_tagged:16 \
    --topic orders_summary-x0:16 --topic orders_by_user-x0:16
TCK=$(getconf CLK_TCK)
broker_ticks() { awk '{print $14 + $15}' "/proc/$BPID/stat"; }

# ---- timing --------------------------------------------------------------
# timed NAME CMD...: runs CMD once, stdout/stderr to $WORK/NAME.{out,err};
# sets WALL, CPU (user+sys of CMD) and BCPU (broker CPU meanwhile).
timed() {
    local name=$1
    shift
    local b0 t0 t1 b1
    b0=$(broker_ticks)
    t0=$EPOCHREALTIME
    if ! /usr/bin/time -f '%U %S %M' -o "$WORK/$name.time" "$@" \
        > "$WORK/$name.out" 2> "$WORK/$name.err"; then
        tail -n 5 "$WORK/$name.err" >&2
        die "$name failed: $*"
    fi
    t1=$EPOCHREALTIME
    b1=$(broker_ticks)
    WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b - a}')
    CPU=$(awk 'END{printf "%.2f", $1 + $2}' "$WORK/$name.time")
    RSS=$(awk 'END{printf "%.0f", $3 / 1024}' "$WORK/$name.time")
    BCPU=$(awk -v a="$b0" -v b="$b1" -v t="$TCK" 'BEGIN{printf "%.2f", (b - a) / t}')
}

# eddy_records FILE: the "N records in" of eddy's last "finished:" (or "stopped:") line.
eddy_in() { sed -n 's/.*\(stopped\|finished\): \([0-9]*\) records in.*/\2/p' "$1" | tail -n 1; }
eddy_written() { sed -n 's/.*, \([0-9]*\) records written.*/\1/p' "$1" | tail -n 1; }

# check PHASE NAME: verifies that run NAME of PHASE processed N records.
check() {
    local phase=$1 name=$2 got
    case $phase in
    raw | python) got=$(sed -n 's/^records=\([0-9]*\).*/\1/p' "$WORK/$name.out") ;;
    *) got=$(eddy_in "$WORK/$name.err") ;;
    esac
    local want=$N written=
    case $phase in
    passthrough | passthrough_p2 | dedup | regexdate) written=$N ;;
    join_enrich | join_enrich_nostate) want=$((N + USERS)) written=$N ;;
    join_interval) want=$((2 * HALF)) written=$HALF ;;
    esac
    [ "$got" = "$want" ] || die "$name: processed ${got:-?} records, expected $want"
    if [ -n "$written" ]; then
        got=$(eddy_written "$WORK/$name.err")
        [ "$got" = "$written" ] || die "$name: wrote ${got:-?} records, expected $written"
    fi
}

# phase_cmd PHASE STATEFILE: sets CMD to the command of PHASE.
phase_cmd() {
    case $1 in
    raw) CMD=("$WORK/raw_consumer" "$B" orders_raw "$N") ;;
    eddy_ref) CMD=("$EDDY" run "${BOUNDED[@]}" "${PAR1[@]}" --bootstrap "$B" --state "$2" "$HERE/../sql/orders.sql") ;;
    python) CMD=("$PY" "$HERE/python_baseline.py" "$B" orders_raw "$N") ;;
    eddy_groupby) CMD=("$EDDY" run "${BOUNDED[@]}" "${PAR1[@]}" --bootstrap "$B" --state "$2" "$HERE/sql/orders_by_user.sql") ;;
    eddy_groupby_nostate) CMD=("$EDDY" run "${BOUNDED[@]}" "${PAR1[@]}" --bootstrap "$B" --state none "$HERE/sql/orders_by_user.sql") ;;
    eddy_ref_p2) CMD=("$EDDY" run "${BOUNDED[@]}" --parallelism 2 --bootstrap "$B" --state "$2" "$HERE/../sql/orders.sql") ;;
    eddy_groupby_p2) CMD=("$EDDY" run "${BOUNDED[@]}" --parallelism 2 --bootstrap "$B" --state "$2" "$HERE/sql/orders_by_user.sql") ;;
    passthrough_p2) CMD=("$EDDY" run "${BOUNDED[@]}" --parallelism 2 --bootstrap "$B" --state "$2" "$HERE/sql/passthrough.sql") ;;
    passthrough) CMD=("$EDDY" run "${BOUNDED[@]}" "${PAR1[@]}" --bootstrap "$B" --state "$2" "$HERE/sql/passthrough.sql") ;;
    window_tumble) CMD=("$EDDY" run "${BOUNDED[@]}" "${PAR1[@]}" --bootstrap "$B" --state "$2" "$HERE/sql/window_tumble.sql") ;;
    window_hop) CMD=("$EDDY" run "${BOUNDED[@]}" "${PAR1[@]}" --bootstrap "$B" --state "$2" "$HERE/sql/window_hop.sql") ;;
    join_enrich) CMD=("$EDDY" run "${BOUNDED[@]}" "${PAR1[@]}" --bootstrap "$B" --state "$2" "$HERE/sql/join_enrich.sql") ;;
    join_enrich_nostate) CMD=("$EDDY" run "${BOUNDED[@]}" "${PAR1[@]}" --bootstrap "$B" --state none "$HERE/sql/join_enrich.sql") ;;
    join_interval) CMD=("$EDDY" run "${BOUNDED[@]}" "${PAR1[@]}" --bootstrap "$B" --state "$2" "$HERE/sql/join_interval.sql") ;;
    topn) CMD=("$EDDY" run "${BOUNDED[@]}" "${PAR1[@]}" --bootstrap "$B" --state "$2" "$HERE/sql/topn.sql") ;;
    dedup) CMD=("$EDDY" run "${BOUNDED[@]}" "${PAR1[@]}" --bootstrap "$B" --state "$2" "$HERE/sql/dedup.sql") ;;
    regexdate) CMD=("$EDDY" run "${BOUNDED[@]}" "${PAR1[@]}" --bootstrap "$B" --state "$2" "$HERE/sql/regex_date.sql") ;;
    esac
}

# Runs every phase once per round, REPEAT rounds (interleaved, so that a
# burst of load from elsewhere does not hit every run of one phase), and
# keeps each phase's fastest run in the BEST_* arrays.
declare -A BEST_WALL BEST_CPU BEST_BCPU ALL_WALLS
PHASES=(raw eddy_ref python eddy_groupby)
[ "$NOSTATE" = 1 ] && PHASES+=(eddy_groupby_nostate)
PHASES+=(passthrough)
# Worker threads (docs/scaling.md): the same jobs with --parallelism 2.
[ "$PARALLEL" = 1 ] && PHASES+=(eddy_ref_p2 eddy_groupby_p2 passthrough_p2)
# Windows exist once `eddy explain` knows TUMBLE (an older binary skips them).
WINDOWS=0
printf 'CREATE TABLE t (ts TIMESTAMP(3), WATERMARK FOR ts AS ts);\nSELECT window_start FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL %s1%s MINUTE)) GROUP BY window_start, window_end;\n' "'" "'" > "$WORK/probe.sql"
"$EDDY" explain "$WORK/probe.sql" > /dev/null 2>&1 && WINDOWS=1
[ "$WINDOWS" = 1 ] && PHASES+=(window_tumble window_hop)
# Joins exist once `eddy explain` knows interval joins (an older binary skips them).
JOINS=0
"$EDDY" explain "$HERE/sql/join_interval.sql" > /dev/null 2>&1 && JOINS=1
[ "$JOINS" = 1 ] && PHASES+=(join_enrich join_interval)
[ "$JOINS" = 1 ] && [ "$NOSTATE" = 1 ] && PHASES+=(join_enrich_nostate)
# Top-N and deduplication exist once `eddy explain` knows ROW_NUMBER() OVER.
TOPN=0
"$EDDY" explain "$HERE/sql/topn.sql" > /dev/null 2>&1 && TOPN=1
[ "$TOPN" = 1 ] && PHASES+=(topn dedup)
# REGEXP_EXTRACT and DATE_FORMAT exist once `eddy explain` knows them.
FUNCS=0
"$EDDY" explain "$HERE/sql/regex_date.sql" > /dev/null 2>&1 && FUNCS=1
[ "$FUNCS" = 1 ] && PHASES+=(regexdate)
USERS=100000
HALF=$((N / 2))
if [ -n "${ONLY:-}" ]; then
    KEPT=()
    for p in "${PHASES[@]}"; do
        case " $ONLY " in *" $p "*) KEPT+=("$p") ;; esac
    done
    [ "${#KEPT[@]}" -gt 0 ] || die "ONLY=\"$ONLY\" names no phase of: ${PHASES[*]}"
    PHASES=("${KEPT[@]}")
fi
has_phase() { case " ${PHASES[*]} " in *" $1 "*) return 0 ;; esac; return 1; }
declare -A BEST_RSS RUN_CPU RUN_BCPU RUN_RSS
run_rounds() {
    local r phase state
    for r in $(seq "$REPEAT"); do
        for phase in "${PHASES[@]}"; do
            # each eddy run gets a fresh state file (a resumed job reads nothing)
            state=$WORK/state-$phase-$r.db
            phase_cmd "$phase" "$state"
            timed "$phase.$r" "${CMD[@]}"
            check "$phase" "$phase.$r"
            rm -rf "$state"*   # (a parallel run: a directory of task state files)
            log "bench: round $r $phase: ${WALL}s wall, ${CPU} CPU s, broker ${BCPU} CPU s"
            ALL_WALLS[$phase]="${ALL_WALLS[$phase]:-}$WALL "
            RUN_CPU[$phase.$r]=$CPU
            RUN_BCPU[$phase.$r]=$BCPU
            RUN_RSS[$phase.$r]=$RSS
            if [ -z "${BEST_WALL[$phase]:-}" ] ||
                awk -v a="$WALL" -v b="${BEST_WALL[$phase]}" 'BEGIN{exit !(a < b)}'; then
                BEST_WALL[$phase]=$WALL
                BEST_CPU[$phase]=$CPU
                BEST_BCPU[$phase]=$BCPU
                BEST_RSS[$phase]=$RSS
                cp "$WORK/$phase.$r.out" "$WORK/$phase.best.out"
                cp "$WORK/$phase.$r.err" "$WORK/$phase.best.err"
            fi
        done
    done
}

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

# 1. produce -------------------------------------------------------------
log "bench: producing $N orders to orders_raw on $B"
EVENT_STEP=()
"$EDDY" gen --help 2>&1 | grep -q -- --event-step && EVENT_STEP=(--event-step '1 ms')
timed produce "$EDDY" gen orders --topic orders_raw --count "$N" --seed 42 \
    --users 100000 "${EVENT_STEP[@]}" --bootstrap "$B"
PRODUCE_WALL=$WALL
grep -q "produced $N orders" "$WORK/produce.err" "$WORK/produce.out" ||
    die "eddy gen did not report $N orders produced"

# The joins' other inputs: 100k users (upsert, keyed by user_id), and two
# streams of N/2 events with record timestamps 1 ms apart.
if [ "$JOINS" = 1 ]; then
    log "bench: producing $USERS users, and $HALF events to each of auths and pays"
    "$PY" "$HERE/produce_users.py" "$B" "$USERS" > "$WORK/users.out" 2>&1 ||
        die "producing users failed: see $WORK/users.out"
    for t in auths pays; do
        seed=7
        [ "$t" = pays ] && seed=8
        "$EDDY" gen orders --topic "$t" --count "$HALF" --seed "$seed" \
            --users 100000 --event-step '1 ms' --bootstrap "$B" > "$WORK/gen-$t.out" 2>&1 ||
            die "eddy gen $t failed: see $WORK/gen-$t.out"
    done
fi

# 2..6. the phases -------------------------------------------------------
run_rounds

# MEDIAN=1: each phase's median run replaces its fastest.
STAT="best"
if [ "${MEDIAN:-0}" = 1 ]; then
    STAT="median"
    for p in "${PHASES[@]}"; do
        # the run (round) whose wall time is the median of the phase's runs
        r=$(echo "${ALL_WALLS[$p]}" | tr ' ' '\n' | grep . | awk '{print $1, NR}' | sort -n |
            awk '{w[NR] = $2} END {print w[int((NR + 1) / 2)]}')
        BEST_WALL[$p]=$(echo "${ALL_WALLS[$p]}" | tr ' ' '\n' | grep . | sed -n "${r}p")
        BEST_CPU[$p]=${RUN_CPU[$p.$r]}
        BEST_BCPU[$p]=${RUN_BCPU[$p.$r]}
        BEST_RSS[$p]=${RUN_RSS[$p.$r]}
        cp "$WORK/$p.$r.out" "$WORK/$p.best.out"
        cp "$WORK/$p.$r.err" "$WORK/$p.best.err"
    done
fi

# Same answer: eddy's orders_summary (last value per region) vs Python's.
if ! has_phase python || ! has_phase eddy_ref; then
    echo "(the reference job or the Python baseline was not run: no comparison)" > "$WORK/compare.out"
else
"$PY" - "$B" "$WORK/python.best.out" > "$WORK/compare.out" 2>&1 <<'EOF' ||
import json, sys
from confluent_kafka import Consumer, TopicPartition
bootstrap, pyout = sys.argv[1], sys.argv[2]
want = {}
for line in open(pyout):
    if line.startswith("{"):
        r = json.loads(line)
        want[r["region"]] = r
c = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-compare",
              "enable.auto.commit": False, "fetch.wait.max.ms": 10})
t = "orders_summary"
parts = c.list_topics(t, timeout=10).topics[t].partitions
end, tps = {}, []
for p in parts:
    lo, hi = c.get_watermark_offsets(TopicPartition(t, p), timeout=5)
    if hi > lo:
        end[p] = hi
    tps.append(TopicPartition(t, p, lo))
c.assign(tps)
got = {}
while end:
    for m in c.consume(num_messages=10000, timeout=0.2):
        if m.error():
            continue
        if m.value() is not None:
            r = json.loads(m.value())
            got[r["region"]] = r
        if m.partition() in end and m.offset() + 1 >= end[m.partition()]:
            del end[m.partition()]
c.close()
bad = [k for k in want if k not in got
       or got[k]["total_orders"] != want[k]["total_orders"]
       or abs(got[k]["total_sales"] - want[k]["total_sales"]) > 1e-6 * abs(want[k]["total_sales"])
       or abs(got[k]["avg_order_value"] - want[k]["avg_order_value"]) > 0.0051]
if bad or set(got) != set(want):
    print("MISMATCH", bad, "eddy:", got, "python:", want)
    sys.exit(1)
print("eddy's orders_summary equals the Python result (%d regions)" % len(want))
EOF
    die "eddy's orders_summary differs from the Python baseline: see $WORK/compare.out"
fi

# ---- report ---------------------------------------------------------------
rate() { awk -v n="$N" -v w="${BEST_WALL[$1]}" 'BEGIN{printf "%.0f", n / w}'; }
ratio() {
    if has_phase "$1" && has_phase "$2"; then
        awk -v a="$(rate "$1")" -v b="$(rate "$2")" 'BEGIN{printf "%.2f", a / b}'
    else
        echo "-"
    fi
}
declare -A LABEL=(
    [raw]="raw C consumer (the limit)"
    [eddy_ref]="eddy reference job (GROUP BY region)"
    [python]="Python confluent_kafka + dict"
    [eddy_groupby]="eddy GROUP BY user_id, 100k keys"
    [eddy_groupby_nostate]="eddy GROUP BY user_id, --state none"
    [passthrough]="eddy pass-through SELECT *"
    [eddy_ref_p2]="eddy reference job, --parallelism 2"
    [eddy_groupby_p2]="eddy GROUP BY user_id, --parallelism 2"
    [passthrough_p2]="eddy pass-through, --parallelism 2"
    [window_tumble]="eddy TUMBLE 1 min per region"
    [window_hop]="eddy HOP 1 min / 1 s per region"
    [join_enrich]="eddy orders JOIN 100k upsert users"
    [join_enrich_nostate]="same join, --state none"
    [join_interval]="eddy interval join, 2 x N/2 events"
    [topn]="eddy Top-3 users by sales per region"
    [dedup]="eddy dedup first row per order_id"
    [regexdate]="eddy REGEXP_EXTRACT + DATE_FORMAT"
)
CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
REV=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)
if [ -n "${EDDY_GIVEN:-}" ]; then REV="binary $EDDY (repository at $REV)"; fi

echo
echo "eddy bench: N=$N orders, 16 partitions, $STAT of $REPEAT runs"
echo "machine: $(nproc) CPUs, $CPU_MODEL; load average at start: $LOAD0"
echo "eddy $REV; librdkafka $(dpkg-query -W -f '${Version}' librdkafka1 2>/dev/null || echo '?');" \
    "confluent_kafka $("$PY" -c 'import confluent_kafka as c; print(c.version()[0])')"
echo "produce: $N orders in ${PRODUCE_WALL}s"
echo
printf '| %-38s | %10s | %7s | %6s | %10s | %6s | %6s | %9s |\n' \
    phase events/s wall\ s CPU\ s broker\ CPU RSS\ MB vs\ raw vs\ Python
printf '| %-38s | %10s | %7s | %6s | %10s | %6s | %6s | %9s |\n' \
    "$(printf -- '-%.0s' {1..38})" ---------- ------- ------ ---------- ------ ------ ---------
for p in "${PHASES[@]}"; do
    printf '| %-38s | %10s | %7s | %6s | %10s | %6s | %6s | %9s |\n' "${LABEL[$p]}" \
        "$(rate "$p")" "${BEST_WALL[$p]}" "${BEST_CPU[$p]}" "${BEST_BCPU[$p]}" "${BEST_RSS[$p]}" \
        "$(ratio "$p" raw)" "$(ratio "$p" python)"
done
echo
verdict() {
    if [ "$1" = - ]; then echo "(not run)"; else awk -v a="$1" -v t="$2" 'BEGIN{print (a >= t ? "met" : "MISSED")}'; fi
}
# paired A B: the ratio of A's events/s to B's taken round by round (the two
# ran a few seconds apart, on the same machine state), as "median (lowest
# to highest of R rounds)".  On a machine whose speed drifts between rounds
# the ratio of two medians may pair a quiet round of one phase with a busy
# round of the other; this pairs each run with its own round's.
paired() {
    has_phase "$1" && has_phase "$2" || return 0
    paste <(echo "${ALL_WALLS[$2]}" | tr ' ' '\n' | grep .) <(echo "${ALL_WALLS[$1]}" | tr ' ' '\n' | grep .) |
        awk '{print $1 / $2}' | sort -n |
        awk '{r[NR] = $1} END {printf "%.2f (%.2f to %.2f over %d rounds)", r[int((NR + 1) / 2)], r[1], r[NR], NR}'
}
R1=$(ratio eddy_ref raw)
R2=$(ratio eddy_groupby passthrough)
R3=$(ratio eddy_ref python)
echo "targets (issue 3):"
echo "  reference job >= 50% of the raw consumer:        $R1  $(verdict "$R1" 0.5)"
echo "  GROUP BY 100k keys >= 80% of pass-through:       $R2  $(verdict "$R2" 0.8)"
if [ "$NOSTATE" = 1 ]; then
    R2b=$(ratio eddy_groupby_nostate passthrough)
    echo "    (same, GROUP BY with --state none:              $R2b  $(verdict "$R2b" 0.8))"
fi
echo "  reference job >= 2.5x the Python baseline:       $R3  $(verdict "$R3" 2.5)"
if [ "$PARALLEL" = 1 ] && has_phase eddy_groupby_p2 && has_phase eddy_groupby; then
    R6=$(ratio eddy_groupby_p2 eddy_groupby)
    R7=$(ratio passthrough_p2 passthrough)
    R8=$(ratio eddy_ref_p2 eddy_ref)
    echo "targets (issue 19, $(nproc) cores):"
    echo "  GROUP BY user_id, 2 threads >= 1.8x 1 thread:    $R6  $(verdict "$R6" 1.8)"
    echo "    (reference job, 2 threads vs 1:                $R8)"
    echo "    (pass-through, 2 threads vs 1:                 $R7)"
fi
if [ "$WINDOWS" = 1 ] && has_phase window_tumble && has_phase window_hop; then
    R4=$(ratio window_tumble eddy_ref)
    R5=$(ratio window_hop eddy_ref)
    echo "targets (issue 11):"
    echo "  TUMBLE 1 min >= 0.9x the reference job:          $R4  $(verdict "$R4" 0.9)"
    echo "  HOP size/slide 60 >= 0.9x the reference job:     $R5  $(verdict "$R5" 0.9)"
    for p in window_tumble window_hop; do
        echo "  $p: $(sed -n 's/.*\(stopped\|finished\): //p' "$WORK/$p.best.err" | tail -n 1)"
    done
fi
if [ "$JOINS" = 1 ] && { has_phase join_enrich || has_phase join_interval; }; then
    R6=$(ratio join_enrich passthrough)
    R7=$(ratio join_interval passthrough)
    # the join's state at the end of the enrichment run: every order and user
    # is a kept row (state_bytes counts each row's encoded bytes, its entry's
    # payload and the per-key index)
    JST=
    has_phase join_enrich && JST=$(sed -n 's/.*state at stop: Join \([0-9]*\) keys, \([0-9]*\) bytes.*/\1 \2/p' "$WORK/join_enrich.best.err" | tail -n 1)
    echo "targets (issue 12; events/s counts the N orders, resp. the 2 x N/2 events):"
    echo "  enrichment >= 0.7x pass-through:                 $R6  $(verdict "$R6" 0.7)"
    echo "    (round by round: $(paired join_enrich passthrough))"
    if has_phase join_enrich_nostate; then
        R6b=$(ratio join_enrich_nostate passthrough)
        echo "    (same, the join with --state none:             $R6b  $(verdict "$R6b" 0.7))"
    fi
    echo "  interval join vs pass-through:                   $R7"
    if [ -n "$JST" ]; then
        read -r JKEYS JBYTES <<< "$JST"
        echo "  join state at the end: $JKEYS rows, $JBYTES bytes:" \
            "$(awk -v k="$JKEYS" -v b="$JBYTES" 'BEGIN{printf "%.0f", b / k}') B per kept row, the row's own encoded bytes included"
    fi
    for p in join_enrich join_interval; do
        has_phase "$p" && echo "  $p: $(sed -n 's/.*\(stopped\|finished\): //p' "$WORK/$p.best.err" | tail -n 1)"
    done
fi
if [ "$TOPN" = 1 ] && has_phase topn && has_phase passthrough; then
    R8=$(ratio topn passthrough)
    R9=$(ratio dedup passthrough)
    echo "targets (issue 13):"
    echo "  Top-3 users per region >= 0.7x pass-through:     $R8  $(verdict "$R8" 0.7)"
    echo "  deduplication >= 0.7x pass-through:              $R9  $(verdict "$R9" 0.7)"
    for p in topn dedup; do
        echo "  $p: $(sed -n 's/.*\(stopped\|finished\): //p' "$WORK/$p.best.err" | tail -n 1)"
    done
fi
if [ "$FUNCS" = 1 ] && has_phase regexdate && has_phase passthrough; then
    R10=$(ratio regexdate passthrough)
    echo "targets (issue 20):"
    echo "  REGEXP_EXTRACT + DATE_FORMAT >= 0.8x pass-through: $R10  $(verdict "$R10" 0.8)"
fi
echo
echo "all runs (wall s):"
for p in "${PHASES[@]}"; do printf '  %-22s %s\n' "$p" "${ALL_WALLS[$p]}"; done
echo "checks: every phase read $N records; $(cat "$WORK/compare.out")"
has_phase eddy_groupby && echo "GROUP BY user_id: $(sed -n 's/.*\(stopped\|finished\): //p' "$WORK/eddy_groupby.best.err" | tail -n 1)"

# ---- optional profile --------------------------------------------------------
if [ "${PROFILE:-0}" = 1 ]; then
    PBUILD=${BUILD}-prof
    log "bench: building a profiling tree (Release + -g -fno-omit-frame-pointer) in $PBUILD"
    if ! cmake -S "$ROOT" -B "$PBUILD" -DCMAKE_BUILD_TYPE=Release -DEDDY_TESTS=OFF \
        -DCMAKE_C_FLAGS="-g -fno-omit-frame-pointer" >> "$WORK/build.log" 2>&1 ||
        ! cmake --build "$PBUILD" -j2 --target eddy >> "$WORK/build.log" 2>&1; then
        die "profiling build failed: see $WORK/build.log"
    fi
    for job in orders orders_by_user passthrough; do
        perf record -q -e cpu-clock -F 1999 -g -o "$WORK/perf-$job.data" \
            "$PBUILD/eddy" run "${BOUNDED[@]}" --bootstrap "$B" \
            --state "$WORK/prof-$job.db" "$HERE/sql/$job.sql" \
            > /dev/null 2> "$WORK/perf-$job.err" || die "perf record failed (see $WORK/perf-$job.err)"
        perf report -i "$WORK/perf-$job.data" --no-children --sort comm,dso,symbol \
            --stdio -g none --percent-limit 0.7 2>/dev/null | grep -v '^#' | grep -v '^$' \
            > "$WORK/perf-$job.txt" || true
        echo
        echo "profile of $job.sql (perf cpu-clock, self time, all threads of eddy):"
        head -n 25 "$WORK/perf-$job.txt"
    done
fi
