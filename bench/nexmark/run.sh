#!/usr/bin/env bash
# bench/nexmark/run.sh [N] — the Nexmark queries, one core each, with
# their results checked.
#
# Setup (b), Kafka in → Kafka out (RisingWave's published setup):
#   1. starts `eddy broker` on loopback (its own core when there are two),
#      every topic with enough partitions that the broker's ~5 MiB per
#      partition keeps all the records,
#   2. `eddy gen nexmark --count N` (seed 1; event time advances 10,000,000
#      events/s, the rate of the published runs: EVENT_RATE overrides),
#   3. computes in Python, from the events read back, what every query must
#      produce (expect.py: the records of an append query, the rows of an
#      updating one's final table) — independent of eddy,
#   4. for each query: `eddy run --bounded` (reads the topic to its end,
#      then a final watermark, then stops) pinned to one core
#      (`taskset -c 0`), timed by /usr/bin/time: wall seconds, CPU seconds
#      (user+sys), peak RSS; its state at the end (the state file, and what
#      eddy reports in memory); then folds its output topic (expect.py
#      output) and compares with the expectation — a run whose output
#      differs is marked FAIL, so a bug that drops rows cannot look fast,
#   5. prints the table: events/s on one core = N / wall seconds.
#
# Setup (a), generator source → blackhole sink inside one process (Flink's
# and Feldera's published setup): the same query with its source table
# replaced by the 'nexmark' connector (events.num N, the same seed and
# first-event.rate, so the same events as the topic holds) and its sink by
# a 'blackhole' table; timed, pinned and measured as (b).  Its check: an
# append query's blackhole count must be expect.py's records; an updating
# query runs a second time (untimed) into a 'print' table instead, whose
# changes folded into rows (+I, +U one more; -U, -D one less) must be
# expect.py's final table.
#
# q13 needs PostgreSQL (side_input.py starts a throw-away
# server with Debian's binaries; skipped with the reason when missing); q14
# loads count_char.c, compiled here with cc (-shared -fPIC) against
# include/eddy.h, through CREATE FUNCTION … LANGUAGE C.
#
# Environment: EDDY=path (else a Release tree is configured and built in
# BUILD=/tmp/eddy-nexmark-build), QUERIES="q0 q1 …" (default: all),
# EVENT_RATE=10000000, KEEP=1 (keep the work directory), CORE=0 (the core
# the job is pinned to), REPEAT=1 (runs per query: the median wall time is reported; CPU, RSS,
# state and the output check are the first run's).
set -euo pipefail
# One job on one thread, as these figures always were (`eddy run` uses every
# core by default; bench/run.sh's *_p2 phases ask for 2 worker threads).
export EDDY_PARALLELISM=${EDDY_PARALLELISM:-1}

N=${1:-1000000}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-/tmp/eddy-nexmark-build}
EVENT_RATE=${EVENT_RATE:-10000000}
CORE=${CORE:-0}
REPEAT=${REPEAT:-1}
QUERIES=${QUERIES:-"q0 q1 q2 q3 q4 q5 q6 q7 q8 q9 q10 q11 q12 q13 q14 q15 q16 q17 q18 q19 q20 q21 q22"}
PY=/usr/bin/python3
WORK=$(mktemp -d /tmp/eddy-nexmark.XXXXXX)
BPID=
PGPID=

log() { printf '%s\n' "$*" >&2; }
die() {
    log "nexmark: $*"
    KEEP=1
    exit 1
}
cleanup() {
    if [ -n "$BPID" ]; then
        kill "$BPID" 2>/dev/null || true
        wait "$BPID" 2>/dev/null || true
    fi
    exec 9>&- 2>/dev/null || true   # side_input.py stops its server
    if [ -n "$PGPID" ]; then wait "$PGPID" 2>/dev/null || true; fi
    if [ "${KEEP:-0}" = 1 ]; then log "nexmark: outputs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# ---- eddy ------------------------------------------------------------------
. "$ROOT/bench/lib.sh"
bench_eddy "$BUILD"

# ---- what each query writes: its sink topic and how to count its result ----
# append: records; upsert / retract: rows of the final table; sum:F: q12's
# windows depend on processing time, only the sum of their counts is fixed.
declare -A MODE=(
    [q0]=append [q1]=append [q2]=append [q3]=append [q4]=upsert [q5]=retract [q6]=retract
    [q7]=append [q8]=append [q9]=retract [q10]=append [q11]=append [q12]=sum:bid_count
    [q13]=append [q14]=append [q15]=upsert [q16]=upsert [q17]=upsert [q18]=upsert
    [q19]=upsert [q20]=append [q21]=append [q22]=append
)
declare -A WHAT=(
    [q0]="pass-through" [q1]="projection, DECIMAL multiply" [q2]="filter"
    [q3]="regular join + filters" [q4]="join, two GROUP BYs (updating)"
    [q5]="HOP windows, GROUP BY, join" [q6]="join, Top-1, OVER over updates"
    [q7]="TUMBLE window, join" [q8]="two TUMBLE windows joined"
    [q9]="join, Top-1 per auction" [q10]="DATE_FORMAT (Kafka for files)"
    [q11]="SESSION window" [q12]="processing-time TUMBLE"
    [q13]="lookup join (PostgreSQL)" [q14]="CASE, HOUR, C UDF"
    [q15]="COUNT DISTINCT + FILTER, 1 group" [q16]="COUNT DISTINCT + FILTER per channel"
    [q17]="GROUP BY auction, day" [q18]="dedup, last row" [q19]="Top-10 per auction"
    [q20]="regular join, filter" [q21]="REGEXP_EXTRACT, CASE" [q22]="SPLIT_INDEX"
)

# ---- broker: partitions for ~400 bytes an event, 4 MiB each ------------------
P=$(( N * 400 / (4 * 1024 * 1024) + 4 ))
topics=(--topic "nexmark:$P")
for q in $QUERIES; do topics+=(--topic "nexmark_$q:$P"); done
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then BROKER_PIN=(taskset -c 1); else BROKER_PIN=(); fi
bench_broker "${topics[@]}"
log "nexmark: broker at $B, topics of $P partitions"

# ---- events, and what each query must produce --------------------------------
"$EDDY" gen nexmark --bootstrap "$B" --count "$N" --seed 1 --event-rate "$EVENT_RATE" 2> "$WORK/gen.err" ||
    die "eddy gen nexmark failed: $(cat "$WORK/gen.err")"
log "nexmark: $(tail -n 1 "$WORK/gen.err")"
$PY "$HERE/expect.py" events "$B" nexmark "$WORK/expect.json" || die "expect.py could not read the events"
expect() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$WORK/expect.json" "$1"; }
log "nexmark: $(expect persons) persons, $(expect auctions) auctions, $(expect bids) bids"

# ---- q13's side input: a throw-away PostgreSQL (side_input.py) --------------
PGURL=
if [[ " $QUERIES " == *" q13 "* ]]; then
    mkfifo "$WORK/pg.in"
    $PY "$HERE/side_input.py" "$ROOT" < "$WORK/pg.in" > "$WORK/pg.out" 2> "$WORK/pg.err" &
    PGPID=$!
    exec 9> "$WORK/pg.in"   # side_input.py serves until this closes (at exit)
    for _ in $(seq 1 300); do
        PGURL=$(grep -m1 '^jdbc:' "$WORK/pg.out" 2>/dev/null || true)
        [ -n "$PGURL" ] || ! kill -0 "$PGPID" 2>/dev/null && break
        sleep 0.1
    done
    if [ -n "$PGURL" ]; then log "nexmark: PostgreSQL for q13 at $PGURL"; else log "nexmark: no PostgreSQL for q13: $(tail -n 2 "$WORK/pg.err")"; fi
fi

# ---- one query ---------------------------------------------------------------
# Writes $WORK/$1.sql (the query with its side input's address and the
# UDF library's path filled in) and $WORK/$1.a.sql (setup (a): the source
# table replaced by the 'nexmark' connector with the same seed and event
# rate — the same events, see tests/nexmark/test_connector.py — and the
# sink by a 'blackhole' table).  Sets SKIP to the reason it cannot run.
prepare() {
    local q=$1 sql=$WORK/$1.sql
    SKIP=
    cp "$HERE/$q.sql" "$sql"
    case $q in
    q13)
        [ -n "$PGURL" ] || { SKIP="not run: no PostgreSQL for the side input (see $WORK/pg.err)"; return; }
        sed -i "s|'jdbc:postgresql://127.0.0.1:5432/nexmark'|'$PGURL'|" "$sql"
        ;;
    q14)
        cc -shared -fPIC -O2 -I "$ROOT/include" -o "$WORK/count_char.so" "$HERE/count_char.c" 2> "$WORK/cc.err" ||
            { SKIP="not run: cc count_char.c failed: $(head -n 1 "$WORK/cc.err")"; return; }
        sed -i "s|'count_char.so:count_char'|'$WORK/count_char.so:count_char'|" "$sql"
        ;;
    esac
    $PY - "$sql" "$WORK/$q.a.sql" "$N" "$EVENT_RATE" 2> "$WORK/$q.a.py" <<'EOF2' || { SKIP="not run: $(tail -n 1 "$WORK/$q.a.py")"; return; }
import re, sys
s = open(sys.argv[1]).read()
src = """    'connector' = 'kafka',
    'topic' = 'nexmark',
    'scan.startup.mode' = 'earliest-offset',
    'format' = 'json'"""
assert src in s, "the source's WITH clause is not ddl.sql's"
s = s.replace(src, f"""    'connector' = 'nexmark',
    'events.num' = '{sys.argv[3]}',
    'first-event.rate' = '{int(float(sys.argv[4]))}',
    'seed' = '1'""")
s, n = re.subn(r"WITH \('connector' = 'kafka', 'topic' = 'nexmark_q\d+'[^;]*\);", "WITH ('connector' = 'blackhole');", s)
assert n == 1, "no sink table to replace"
open(sys.argv[2], 'w').write(s)
EOF2
    if ! "$EDDY" explain "$sql" > "$WORK/$q.plan" 2>&1; then
        SKIP="not run: $(grep -m1 -o 'error: .*' "$WORK/$q.plan" | cut -c8-90)"
    fi
}

# Runs `eddy run --bounded` on one core, REPEAT times; sets RES_{WALL,CPU,
# RSS,STATE,FILE} (CPU, RSS and state of the first run, the median wall
# time) and RES_ERR (the first run's stderr file), or RES_STATUS on a
# failure.  $1: a name for the files, then eddy run's arguments.
timed_run() {
    local tag=$1 walls=() i
    shift
    RES_STATUS= RES_ERR=$WORK/$tag.err
    for i in $(seq 1 "$REPEAT"); do
        rm -f "$WORK/$tag.db"*
        local t0 t1 pin=()
        command -v taskset >/dev/null && pin=(taskset -c "$CORE")
        t0=$(date +%s.%N)
        if ! /usr/bin/time -f '%U %S %M' -o "$WORK/$tag.time" "${pin[@]}" "$EDDY" run --bounded --no-progress \
            --state "$WORK/$tag.db" "$@" > "$WORK/$tag.out" 2> "$WORK/$tag.err.$i"; then
            RES_STATUS="FAIL: eddy run: $(grep -v '^eddy: started' "$WORK/$tag.err.$i" | head -n 1 | cut -c1-80)"
            return
        fi
        t1=$(date +%s.%N)
        walls+=("$(echo "$t1 - $t0" | bc)")
        if [ "$i" = 1 ]; then
            mv "$WORK/$tag.err.1" "$RES_ERR"
            read -r u s RES_RSS < "$WORK/$tag.time"
            RES_CPU=$(echo "$u + $s" | bc)
            RES_STATE=$(awk '/state at stop/ {for (i = 1; i < NF; i++) if ($(i+1) ~ /^bytes/) b += $i} END {print b + 0}' "$RES_ERR")
            RES_FILE=$(du -bc "$WORK/$tag.db"* 2>/dev/null | tail -n 1 | cut -f1)
            # What the first run wrote is checked before a later run writes more.
            [ -z "${AFTER_FIRST:-}" ] || "$AFTER_FIRST"
        fi
    done
    RES_WALL=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
}

# The verdict on a result count $2 for query $1 against expect.py's.
verdict() {
    local q=$1 got=$2 want
    want=$(expect "$q")
    if [ "$got" = "$want" ]; then
        echo ok
    else
        echo "FAIL: output $got, expected $want"
    fi
}

# Setup (b): Kafka in, Kafka out.  Sets B_* from timed_run, B_OUT (the
# output topic folded by expect.py) and B_STATUS.
check_b() {
    # The first run's output, read before further runs (REPEAT) append theirs to the topic.
    B_OUT=$($PY "$HERE/expect.py" output "$B" "nexmark_$BQ" "${MODE[$BQ]}") || B_OUT="unreadable"
}
# A query on processing-time windows (q12, MODE sum:F): its windows fire
# when the clock passes their end, and a bounded run stops before its last
# ones do (Flink, too, drops a finished job's pending processing-time
# timers), so the timed runs' output proves nothing.  Its result is checked
# by a continuous run of the same job (Kafka in, a topic of its own out),
# stopped once its output counts every bid or 40 s have passed (the last
# window fires at most 10 s after the last event is read): the sum of F
# over that output must be every bid, exactly — a bid lost or counted
# twice shows.  Sets PT_OUT (the sum, or "unreadable").
proctime_check() {
    local q=$1 want pid t0 sql=$WORK/$1.c.sql
    want=$(expect "$q")
    sed "s/'topic' = 'nexmark_$q'/'topic' = 'nexmark_${q}_check'/" "$WORK/$q.sql" > "$sql"
    "$EDDY" run --no-progress --state none --bootstrap "$B" "$sql" > "$WORK/$q.c.out" 2> "$WORK/$q.c.err" &
    pid=$!
    t0=$(date +%s)
    while sleep 1; do
        PT_OUT=$($PY "$HERE/expect.py" output "$B" "nexmark_${q}_check" "${MODE[$q]}" 2> /dev/null) || PT_OUT=unreadable
        [ "$PT_OUT" != unreadable ] && [ "$PT_OUT" -ge "$want" ] && break
        [ $(( $(date +%s) - t0 )) -lt 40 ] && kill -0 "$pid" 2> /dev/null || break
    done
    kill -TERM "$pid" 2> /dev/null
    wait "$pid" 2> /dev/null || true
    log "nexmark: $q's continuous check run: $PT_OUT after $(( $(date +%s) - t0 )) s (expected $want)"
}

run_b() {
    local q=$1
    BQ=$q B_OUT=
    AFTER_FIRST=check_b timed_run "$q" --bootstrap "$B" "$WORK/$q.sql"
    B_WALL=$RES_WALL B_CPU=$RES_CPU B_RSS=$RES_RSS B_STATE=$RES_STATE B_FILE=$RES_FILE B_STATUS=$RES_STATUS
    [ -z "$B_STATUS" ] || return 0
    case ${MODE[$q]} in sum:*) proctime_check "$q"; B_OUT=$PT_OUT ;; esac
    [ "$B_OUT" != unreadable ] || { B_STATUS="FAIL: cannot read nexmark_$q"; return; }
    B_STATUS=$(verdict "$q" "$B_OUT")
}

# Setup (a): generator → blackhole in one process (Flink's and Feldera's
# published setup).  Sets A_* and A_STATUS.  The blackhole counts the
# changes it takes: an append query's count is its expected records.  An
# updating query's changes depend on how its updates were batched, so its
# result is checked by a second, untimed run of the same job into a
# 'print' table instead of the blackhole: the rows of its final table
# (+I and +U count 1, -U and -D -1) must be the expected ones.
run_a() {
    local q=$1
    timed_run "$q.a" "$WORK/$q.a.sql"
    A_WALL=$RES_WALL A_CPU=$RES_CPU A_RSS=$RES_RSS A_STATE=$RES_STATE A_FILE=$RES_FILE A_STATUS=$RES_STATUS
    [ -z "$A_STATUS" ] || return 0
    A_OUT=$(grep -o '[0-9]* changes out' "$RES_ERR" | awk '{print $1}')
    if [[ ${MODE[$q]} == sum:* ]]; then
        # processing time: setup (a)'s generator ends the job before its last
        # windows fire; the continuous run of run_b (Kafka in) is the check
        A_OUT=${PT_OUT:-unreadable}
    elif [ "${MODE[$q]}" != append ]; then
        sed "s/WITH ('connector' = 'blackhole');/WITH ('connector' = 'print');/" "$WORK/$q.a.sql" > "$WORK/$q.p.sql"
        if ! "$EDDY" run --bounded --no-progress --state none "$WORK/$q.p.sql" > "$WORK/$q.p.out" 2> "$WORK/$q.p.err"; then
            A_STATUS="FAIL: the check run: $(grep -v '^eddy: started' "$WORK/$q.p.err" | head -n 1 | cut -c1-80)"
            return
        fi
        A_OUT=$(awk '/^[+]I\[|^[+]U\[/ {n++} /^-U\[|^-D\[/ {n--} END {print n + 0}' "$WORK/$q.p.out")
    fi
    A_STATUS=$(verdict "$q" "$A_OUT")
}

# ---- the table -----------------------------------------------------------------
rows=()
fails=0
per() { if [ -n "$2" ] && [ "$(echo "$2 > 0" | bc)" = 1 ]; then echo "$1 / $2" | bc; else echo -; fi; }
for q in $QUERIES; do
    log "nexmark: $q …"
    prepare "$q"
    if [ -n "$SKIP" ]; then
        rows+=("$(printf '| %-4s | %-34s | %s |' "$q" "${WHAT[$q]}" "$SKIP")")
        continue
    fi
    run_b "$q"
    run_a "$q"
    cells=()
    for s in A B; do
        st=${s}_STATUS wall=${s}_WALL cpu=${s}_CPU rss=${s}_RSS state=${s}_STATE out=${s}_OUT
        case ${!st} in
        FAIL*) fails=$((fails + 1)); cells+=(- - - - - -) ;;
        *) cells+=("$(per "$N" "${!wall}")" "$(per "$N" "${!cpu}")" "$(printf '%.2f' "${!wall}")" "$(printf '%.2f' "${!cpu}")"
                   "$(( ${!rss} / 1024 ))" "$(( ${!state} / 1024 ))") ;;
        esac
    done
    check="(a) ${A_STATUS/#ok/$A_OUT = expected}; (b) ${B_STATUS/#ok/$B_OUT = expected}"
    rows+=("$(printf '| %-4s | %-34s | %9s | %9s | %6s | %6s | %5s | %7s | %9s | %9s | %6s | %6s | %5s | %7s | %s |' \
        "$q" "${WHAT[$q]}" "${cells[@]}" "$check")")
done

echo
echo "Nexmark, N = $N events (seed 1, $EVENT_RATE events/s of event time), one core each; $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "(a): nexmark source → blackhole in one process; (b): Kafka → eddy → Kafka through eddy broker (the broker on"
echo "another core).  ev/s = N / wall seconds; ev/CPU-s = N / CPU seconds of the job (user + sys; Flink's"
echo "Throughput/Cores is events per CPU-second too); RSS = peak; state = what the operators hold at the end."
echo
echo "| q    | exercises                          | (a) ev/s  | (a) ev/CPU-s | (a) wall s | (a) CPU s | (a) RSS MiB | (a) state KiB | (b) ev/s  | (b) ev/CPU-s | (b) wall s | (b) CPU s | (b) RSS MiB | (b) state KiB | output check |"
echo "| ---- | ---------------------------------- | --------- | ------------ | ---------- | --------- | ----------- | ------------- | --------- | ------------ | ---------- | --------- | ----------- | ------------- | ------------ |"
printf '%s\n' "${rows[@]}"
[ "$fails" = 0 ] || { log "nexmark: $fails runs failed their check"; exit 1; }
