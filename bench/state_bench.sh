#!/usr/bin/env bash
# bench/state_bench.sh — what state and checkpoints cost (issue 4, Performance).
#
#   bench/state_bench.sh            # all of it, ~5 minutes on 2 cores
#   PARTS="throughput memory" bench/state_bench.sh
#
# Builds a Release tree, starts one `eddy broker` (orders_raw with 16
# partitions: the mock keeps only ~5 MiB per partition; `eddy gen` writes
# lz4), produces N reference orders with user_id uniform in 1..1000000, and
# measures with bench/state/state_bench.c, a program that runs jobs the way
# `eddy run` does (exec.h, libeddy.a) and watches their JobStats:
#
#   throughput  processing rate (first record to the N-th) with a 1 s
#               checkpoint interval ÷ with checkpoints off (--state none),
#               for the reference job (bench/state/orders.sql, 8 keys) and
#               GROUP BY user_id (bench/state/by_user.sql: ~632k distinct
#               keys in 1M orders of 1M users).  Also the ratio when the
#               final checkpoint (on stop) is counted.  1M orders take well
#               under 2 s, so few periodic checkpoints fire: the same ratio
#               is also measured sustained, from memory (`state_bench
#               steady`: the job without its consumer, STEADY seconds).
#               Target >= 0.95.
#   pause       the checkpoint pause with KEYS changed keys per checkpoint,
#               one checkpoint a second (GROUP BY user_id over 1M users,
#               records pushed from memory, mini-batches flushed to the sink
#               as the engine does): p50, p90, p99, max over WINDOWS
#               checkpoints, split into "the previous checkpoint's write
#               still running", "flush the mini-batch + the sink's
#               deliveries" and "collect the changed state"; and one
#               background SQLite write timed alone.  Also 1k and 10k keys.
#               Target p99 <= 10 ms.
#   restart     a state of 1M groups (bench/state/by_order.sql: GROUP BY
#               order_id) is built with `eddy run --bounded`, then, REPEAT
#               times, 1000 new orders are produced and `eddy run` restarted:
#               the load time it prints and the wall time from exec to the
#               first record on the sink topic (bench/state/first_output.py);
#               plus the same from inside (state_bench restart).  Target <= 1 s.
#   memory      heap bytes in use (mallinfo2, all arenas) and VmRSS after a
#               bounded run, consumer and producer closed, after malloc_trim:
#               per group as the slope between GROUP BY user_id (~632k
#               groups) and GROUP BY order_id (1M groups), and as 1M groups
#               minus the 8 of the reference job; with checkpoints on, also
#               SQLite's page cache; VmHWM.  Target <= 100 bytes per group
#               beyond the key.
#   layouts     bench/state/sqlite_layouts.c: one checkpoint of 100k changed
#               keys in a 1M-row state table, for eddy's table and for
#               alternatives (bigger page cache, no text columns, sorted
#               keys, append-only log).
#
# Environment: PARTS (default "throughput memory pause restart layouts"),
# N=1000000, REPEAT=3, WINDOWS=40, KEYS=100000, STEADY=8,
# BUILD=/tmp/eddy-state-bench
# (Release tree, configured and built here), KEEP=1 keeps the work directory.
# The machine may be shared: every run's figures are printed, and medians
# are reported.
set -euo pipefail
# One job on one thread, as these figures always were (`eddy run` uses every
# core by default; bench/run.sh's *_p2 phases ask for 2 worker threads).
export EDDY_PARALLELISM=${EDDY_PARALLELISM:-1}

N=${N:-1000000}
REPEAT=${REPEAT:-3}
WINDOWS=${WINDOWS:-40}
STEADY=${STEADY:-8}
KEYS=${KEYS:-100000}
PARTS=${PARTS:-throughput memory pause restart layouts}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
S=$HERE/state
BUILD=${BUILD:-/tmp/eddy-state-bench}
PY=/usr/bin/python3
WORK=$(mktemp -d /tmp/eddy-state-bench.XXXXXX)
BPID=

log() { printf '%s\n' "$*" >&2; }
die() {
    log "state_bench: $*"
    KEEP=1
    exit 1
}
cleanup() {
    bench_broker_stop
    if [ "${KEEP:-0}" = 1 ]; then log "state_bench: outputs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
. "$HERE/lib.sh"
has() { case " $PARTS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
# kv LINE KEY: the value of KEY=VALUE in a line of state_bench output.
kv() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p" | head -n 1; }
# The broker must still be there (on a shared machine someone may stop it).
alive() { kill -0 "$BPID" 2>/dev/null || die "the broker stopped: $(tail -n 1 "$WORK/broker.err")"; }
median() { sort -g | awk '{v[NR] = $1} END {if (NR) print v[int((NR + 1) / 2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

# ---- build ----------------------------------------------------------------
log "state_bench: building a Release tree in $BUILD"
bench_build "$BUILD" eddy eddy_static
EDDY=$BUILD/eddy
CFLAGS="-O2 -g -Wall -Wextra $(bench_includes "$BUILD")"
LIBS=$(bench_libs "$BUILD")
# shellcheck disable=SC2086
cc $CFLAGS "$S/state_bench.c" $LIBS -o "$WORK/state_bench"
cc -O2 -Wall -Wextra "$S/sqlite_layouts.c" -lsqlite3 -o "$WORK/sqlite_layouts"
SB=$WORK/state_bench

# ---- broker and data ---------------------------------------------------------
bench_broker --topic orders_raw:16 --topic summary_out:16 --topic by_user_out:16 --topic by_order_out:16
log "state_bench: broker at $B; producing $N orders (1M users) into orders_raw:16"
"$EDDY" gen orders --topic orders_raw --count "$N" --seed 1 --users 1000000 --bootstrap "$B" 2>"$WORK/gen.err" ||
    die "eddy gen: $(cat "$WORK/gen.err")"
held=$("$PY" - "$B" <<'EOF'
import sys
from confluent_kafka import Consumer, TopicPartition
c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "state-bench"})
parts = c.list_topics("orders_raw", timeout=10).topics["orders_raw"].partitions
w = [c.get_watermark_offsets(TopicPartition("orders_raw", p), timeout=10, cached=False) for p in parts]
print(sum(hi for lo, hi in w) if all(lo == 0 for lo, hi in w) else -1)
EOF
)
[ "$held" = "$N" ] || die "orders_raw holds $held records from offset 0, expected $N (retention?)"
log "state_bench: orders_raw holds all $N orders"

RESULTS=$WORK/results.txt
: >"$RESULTS"
out() { printf '%s\n' "$*" | tee -a "$RESULTS"; }

# ---- (i) throughput ----------------------------------------------------------
if has throughput; then
    for job in orders by_user; do
        : >"$WORK/tp-$job.txt"
        for r in $(seq "$REPEAT"); do
            for st in none "$WORK/tp.db"; do
                rm -f "$WORK"/tp.db*
                alive
                line=$("$SB" run "$B" "$S/$job.sql" "$st" "$N" | head -n 1) || die "state_bench run $job $st failed"
                log "  $job state=$(basename "$st") rate=$(kv "$line" rate)/s process=$(kv "$line" process_s)s" \
                    "periodic ckpts=$(kv "$line" periodic_ckpts) (keys $(kv "$line" periodic_keys), pause sum $(kv "$line" periodic_pause_ms_sum) ms)" \
                    "final ckpt=$(kv "$line" final_ckpt_ms) ms ($(kv "$line" final_ckpt_keys) keys) out=$(kv "$line" out)"
                echo "$([ "$st" = none ] && echo off || echo on) $(kv "$line" rate) $(kv "$line" rate_incl_final)" >>"$WORK/tp-$job.txt"
            done
        done
        off=$(awk '$1 == "off" {print $2}' "$WORK/tp-$job.txt" | median)
        on=$(awk '$1 == "on" {print $2}' "$WORK/tp-$job.txt" | median)
        onf=$(awk '$1 == "on" {print $3}' "$WORK/tp-$job.txt" | median)
        out "throughput $job over Kafka ($N orders): off $off/s, 1 s checkpoints $on/s -> ratio $(ratio "$on" "$off");" \
            "counting the final checkpoint $onf/s -> ratio $(ratio "$onf" "$off")  (median of $REPEAT)"
    done
    # Sustained, from memory: long enough for several 1 s checkpoints.
    for job in orders by_user; do
        : >"$WORK/st-$job.txt"
        for r in $(seq "$REPEAT"); do
            for st in none "$WORK/st.db"; do
                rm -f "$WORK"/st.db*
                alive
                res=$("$SB" steady "$B" "$S/$job.sql" "$st" "$STEADY" 1000000) || die "state_bench steady $job failed"
                line=$(head -n 1 <<<"$res")
                log "  steady $job state=$(basename "$st") rate=$(kv "$line" rate)/s ckpts=$(kv "$line" ckpts)" \
                    "pause sum $(kv "$line" pause_ms_sum) ms max $(kv "$line" pause_ms_max) ms (last $(kv "$line" last_ckpt_keys) keys)"
                echo "$([ "$st" = none ] && echo off || echo on) $(kv "$line" rate) $(kv "$line" ckpts) $(kv "$line" pause_ms_max)" >>"$WORK/st-$job.txt"
            done
        done
        off=$(awk '$1 == "off" {print $2}' "$WORK/st-$job.txt" | median)
        on=$(awk '$1 == "on" {print $2}' "$WORK/st-$job.txt" | median)
        out "throughput $job sustained from memory (${STEADY} s, 1M users): off $off/s, 1 s checkpoints $on/s -> ratio $(ratio "$on" "$off")" \
            "(checkpoints per run: $(awk '$1 == "on" {print $3}' "$WORK/st-$job.txt" | median), longest pause $(awk '$1 == "on" {print $4}' "$WORK/st-$job.txt" | median) ms; median of $REPEAT)"
    done
fi

# ---- (iv) memory ------------------------------------------------------------------
if has memory; then
    # Groups of GROUP BY user_id: distinct user ids in the topic (a state file's row count).
    rm -f "$WORK"/users.db*
    "$SB" run "$B" "$S/by_user.sql" "$WORK/users.db" "$N" >/dev/null || die "state_bench run by_user failed"
    GU=$(sqlite3 "$WORK/users.db" "SELECT count(*) FROM eddy_state")
    : >"$WORK/mem.txt"
    for r in $(seq "$REPEAT"); do
        for spec in "orders none" "by_user none" "by_order none" "by_order $WORK/mem.db"; do
            set -- $spec
            rm -f "$WORK"/mem.db*
            alive
            line=$("$SB" run "$B" "$S/$1.sql" "$2" "$N" | head -n 1) || die "state_bench run $1 failed"
            log "  $1 state=$(basename "$2"): heap_end=$(kv "$line" heap_end) sqlite=$(kv "$line" sqlite_end) rss_end=$(kv "$line" rss_end) hwm=$(kv "$line" hwm_end)"
            echo "$1-$([ "$2" = none ] && echo off || echo on) $(kv "$line" heap_end) $(kv "$line" rss_end) $(kv "$line" hwm_end) $(kv "$line" sqlite_end)" >>"$WORK/mem.txt"
        done
    done
    m() { awk -v k="$1" -v c="$2" '$1 == k {print $c}' "$WORK/mem.txt" | median; }
    per() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN {printf "%.1f", (a - b) / n}'; }
    out "memory per group, reference aggregate (COUNT, SUM, AVG of a DOUBLE) by a BIGINT key (4 key bytes), median of $REPEAT:"
    out "  checkpoints off, $GU -> $N groups (slope): heap $(per "$(m by_order-off 2)" "$(m by_user-off 2)" $((N - GU))) B/group," \
        "VmRSS $(per "$(m by_order-off 3)" "$(m by_user-off 3)" $((N - GU))) B/group"
    out "  checkpoints off, 8 -> $N groups: heap $(per "$(m by_order-off 2)" "$(m orders-off 2)" $((N - 8))) B/group," \
        "VmRSS $(per "$(m by_order-off 3)" "$(m orders-off 3)" $((N - 8))) B/group (includes mini-batch buffers)"
    out "  checkpoints on, 8 -> $N groups: heap $(per "$(m by_order-on 2)" "$(m orders-off 2)" $((N - 8))) B/group, of which SQLite's" \
        "page cache $(per "$(m by_order-on 5)" 0 "$N") B/group; VmRSS $(per "$(m by_order-on 3)" "$(m orders-off 3)" $((N - 8))) B/group"
    out "  VmHWM: $(($(m by_order-off 4) / 1000000)) MB with 1M groups, checkpoints off; $(($(m by_order-on 4) / 1000000)) MB on;" \
        "$(($(m orders-off 4) / 1000000)) MB with 8 groups"
fi

# ---- (ii) checkpoint pause -----------------------------------------------------
if has pause; then
    for spec in "$WINDOWS $KEYS" "20 10000" "20 1000"; do
        set -- $spec
        rm -f "$WORK"/pause.db*
        alive
        res=$("$SB" pause "$B" "$S/by_user.sql" "$WORK/pause.db" "$1" "$2" 1000000 1000) || die "state_bench pause failed"
        log "$res"
        f() { sed -n "s/^$1 //p" <<<"$res"; }
        out "pause with $2 changed keys per checkpoint, 1 s interval ($1 checkpoints, up to 1M groups): $(f pause_ms) ms"
        out "    = previous write still running: $(f previous_write_ms); flush + deliveries: $(f flush_and_deliver_ms); collect: $(f collect_ms)"
        out "    background SQLite write of one checkpoint: $(f background_write_ms | sed 's/ (.*//') ms"
    done
fi

# ---- (iii) restart -----------------------------------------------------------------
if has restart; then
    rm -f "$WORK"/big.db*
    t0=$(date +%s.%N)
    "$EDDY" run --bounded --state "$WORK/big.db" --bootstrap "$B" "$S/by_order.sql" 2>"$WORK/build.err" ||
        die "building the 1M-group state: $(cat "$WORK/build.err")"
    t1=$(date +%s.%N)
    rows=$(sqlite3 "$WORK/big.db" "SELECT count(*) FROM eddy_state")
    size=$(stat -c %s "$WORK/big.db")
    out "restart: state of $rows groups built by eddy run --bounded in $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}') s;" \
        "file $((size / 1000000)) MB ($((size / rows)) bytes per group)"
    : >"$WORK/restart.txt"
    for r in $(seq "$REPEAT"); do
        alive
        "$EDDY" gen orders --topic orders_raw --count 1000 --seed $((100 + r)) --bootstrap "$B" 2>/dev/null
        line=$("$PY" "$S/first_output.py" "$B" by_order_out -- "$EDDY" run --state "$WORK/big.db" --bootstrap "$B" "$S/by_order.sql") ||
            die "first_output: $line"
        log "  eddy run restart: $line"
        echo "cli $(kv "$line" first_output_ms) $(kv "$line" load_ms)" >>"$WORK/restart.txt"
        "$EDDY" gen orders --topic orders_raw --count 1000 --seed $((200 + r)) --bootstrap "$B" 2>/dev/null
        line=$("$SB" restart "$B" "$S/by_order.sql" "$WORK/big.db") || die "state_bench restart failed"
        log "  in-process: $line"
        echo "inproc $(kv "$line" first_in_ms) $(kv "$line" first_out_ms) $(kv "$line" load_ms)" >>"$WORK/restart.txt"
    done
    out "restart with $rows groups (median of $REPEAT): eddy run prints a load of $(awk '$1 == "cli" {print $3}' "$WORK/restart.txt" | median) ms;" \
        "first record on the sink $(awk '$1 == "cli" {print $2}' "$WORK/restart.txt" | median) ms after exec;" \
        "in-process: load $(awk '$1 == "inproc" {print $4}' "$WORK/restart.txt" | median) ms, first record read" \
        "$(awk '$1 == "inproc" {print $2}' "$WORK/restart.txt" | median) ms, first record handed to the producer" \
        "$(awk '$1 == "inproc" {print $3}' "$WORK/restart.txt" | median) ms after process start"
fi

# ---- (v) SQLite layouts ---------------------------------------------------------------
if has layouts; then
    out "one checkpoint of 100k changed keys in a 1M-row state table (bench/state/sqlite_layouts.c):"
    "$WORK/sqlite_layouts" "$WORK" 1000000 100000 6 | tee -a "$RESULTS"
fi

log ""
log "==== summary ($(date -u +%Y-%m-%d), $(nproc) cores, N=$N) ===="
cat "$RESULTS" >&2
