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
# and Feldera's published setup): run_setup_a below.  It needs the
# 'nexmark' and 'blackhole' connectors; while `eddy explain` refuses them it
# prints "-" for (a).
#
# q6 is not run (eddy refuses it, like Flink: an OVER window over an
# updating input).  q13 needs PostgreSQL (side_input.py starts a throw-away
# server with Debian's binaries); q14 needs C UDFs (CREATE
# FUNCTION … LANGUAGE C); each is skipped with the reason when missing.
#
# Environment: EDDY=path (else a Release tree is configured and built in
# BUILD=/tmp/eddy-nexmark-build), QUERIES="q0 q1 …" (default: all),
# EVENT_RATE=10000000, KEEP=1 (keep the work directory), CORE=0 (the core
# the job is pinned to), REPEAT=1 (runs per query: the median wall time is reported; CPU, RSS,
# state and the output check are the first run's).
set -euo pipefail

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
if [ -z "${EDDY:-}" ]; then
    log "nexmark: building a Release eddy in $BUILD"
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$BUILD" --target eddy -j2 >/dev/null
    EDDY=$BUILD/eddy
fi

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
    [q5]="HOP windows, GROUP BY, join" [q6]="join, Top-1, OVER (refused)"
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
"${BROKER_PIN[@]}" "$EDDY" broker "${topics[@]}" > "$WORK/broker.out" 2> "$WORK/broker.err" &
BPID=$!
for _ in $(seq 1 100); do
    B=$(head -n 1 "$WORK/broker.out" 2>/dev/null || true)
    case $B in 127.0.0.1:[0-9]*) break ;; esac
    sleep 0.1
done
case $B in 127.0.0.1:[0-9]*) ;; *) die "eddy broker did not start: $(cat "$WORK/broker.err")" ;; esac
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
# Sets RES_{WALL,CPU,RSS,STATE,OUT,STATUS} for query $1 run as setup (b).
run_b() {
    local q=$1 sql=$WORK/$1.sql
    cp "$HERE/$q.sql" "$sql"
    RES_STATUS=
    case $q in
    q6) RES_STATUS="not run: eddy (like Flink) refuses OVER over an updating input"; return ;;
    q13)
        [ -n "$PGURL" ] || { RES_STATUS="not run: no PostgreSQL for the side input (see $WORK/pg.err)"; return; }
        sed -i "s|'jdbc:postgresql://127.0.0.1:5432/nexmark'|'$PGURL'|" "$sql"
        ;;
    q14)
        cc -shared -fPIC -O2 -o "$WORK/count_char.so" "$HERE/count_char.c"
        sed -i "s|'count_char.so:count_char'|'$WORK/count_char.so:count_char'|" "$sql"
        ;;
    esac
    if ! "$EDDY" explain "$sql" > "$WORK/$q.plan" 2>&1; then
        RES_STATUS="not run: $(grep -m1 -o 'error: .*' "$WORK/$q.plan" | cut -c8-90)"
        return
    fi
    # The first run's output is checked; further runs (REPEAT) are timed
    # only (they append to the same topic).
    local walls=() i want
    want=$(expect "$q")
    for i in $(seq 1 "$REPEAT"); do
        rm -f "$WORK/$q.db"*
        local t0 t1 pin=()
        command -v taskset >/dev/null && pin=(taskset -c "$CORE")
        t0=$(date +%s.%N)
        if ! /usr/bin/time -f '%U %S %M' -o "$WORK/$q.time" "${pin[@]}" "$EDDY" run --bounded --no-progress \
            --bootstrap "$B" --state "$WORK/$q.db" "$sql" > "$WORK/$q.out" 2> "$WORK/$q.err"; then
            RES_STATUS="FAIL: eddy run: $(grep -v '^eddy: started' "$WORK/$q.err" | head -n 1 | cut -c1-80)"
            return
        fi
        t1=$(date +%s.%N)
        walls+=("$(echo "$t1 - $t0" | bc)")
        if [ "$i" = 1 ]; then
            read -r u s RES_RSS < "$WORK/$q.time"
            RES_CPU=$(echo "$u + $s" | bc)
            RES_STATE=$(awk '/state at stop/ {for (i = 1; i < NF; i++) if ($(i+1) ~ /^bytes/) b += $i} END {print b + 0}' "$WORK/$q.err")
            RES_FILE=$(du -bc "$WORK/$q.db"* 2>/dev/null | tail -n 1 | cut -f1)
            RES_OUT=$($PY "$HERE/expect.py" output "$B" "nexmark_$q" "${MODE[$q]}") ||
                { RES_STATUS="FAIL: cannot read nexmark_$q"; return; }
        fi
    done
    RES_WALL=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    if [ "$RES_OUT" = "$want" ]; then
        RES_STATUS=ok
    elif [ "$q" = q12 ] && [ "$RES_OUT" -le "$want" ]; then
        # Processing-time windows fire when the clock passes their end; a
        # bounded run stops before the last ones do (a run shorter than
        # 10 s fires none).  What fired must not count a bid twice.
        RES_STATUS="unchecked: $RES_OUT of $want bids in windows fired before the stop"
    else
        RES_STATUS="FAIL: output $RES_OUT, expected $want"
    fi
}

# ---- setup (a): generator → blackhole in one process --------------------------
# The query with the source table replaced by the 'nexmark' connector
# (Flink's option names: events.num, first-event.rate) and its sink by a
# 'blackhole' table.  Sets A_WALL (or A_STATUS with the reason it did not run).
run_setup_a() {
    local q=$1 sql=$WORK/$1.a.sql
    A_WALL= A_STATUS=
    $PY - "$HERE/$q.sql" "$sql" "$N" "$EVENT_RATE" <<'EOF'
import re, sys
s = open(sys.argv[1]).read()
s = s.replace("""    'connector' = 'kafka',
    'topic' = 'nexmark',
    'scan.startup.mode' = 'earliest-offset',
    'format' = 'json'""", f"""    'connector' = 'nexmark',
    'events.num' = '{sys.argv[3]}',
    'first-event.rate' = '{int(float(sys.argv[4]))}'""")
s = re.sub(r"WITH \('connector' = 'kafka', 'topic' = 'nexmark_q\d+'[^;]*\);", "WITH ('connector' = 'blackhole');", s)
open(sys.argv[2], 'w').write(s)
EOF
    if ! "$EDDY" explain "$sql" > "$WORK/$q.a.plan" 2>&1; then
        A_STATUS="-"
        return
    fi
    local pin=() t0 t1
    command -v taskset >/dev/null && pin=(taskset -c "$CORE")
    t0=$(date +%s.%N)
    if ! "${pin[@]}" "$EDDY" run --bounded --no-progress --state none "$sql" > "$WORK/$q.a.out" 2> "$WORK/$q.a.err"; then
        A_STATUS="FAIL"
        return
    fi
    t1=$(date +%s.%N)
    A_WALL=$(echo "$t1 - $t0" | bc)
    # An append query's changes out must be its expected records.
    if [ "${MODE[$q]}" = append ]; then
        local out
        out=$(grep -o '[0-9]* changes out' "$WORK/$q.a.err" | awk '{print $1}')
        [ "$out" = "$(expect "$q")" ] || A_STATUS="FAIL: $out out"
    fi
}

# ---- the table -----------------------------------------------------------------
rows=()
fails=0
for q in $QUERIES; do
    log "nexmark: $q …"
    run_b "$q"
    run_setup_a "$q"
    a="-"
    if [ -n "$A_WALL" ]; then a=$(echo "$N / $A_WALL" | bc); fi
    [ -n "$A_STATUS" ] && [ "$A_STATUS" != "-" ] && a="$A_STATUS"
    if [ "$RES_STATUS" = ok ] || [[ $RES_STATUS == unchecked* ]]; then
        check="$RES_OUT = expected"
        [ "$RES_STATUS" = ok ] || check=$RES_STATUS
        rows+=("$(printf '| %-4s | %-34s | %9s | %9s | %7s | %5s | %6s | %7s | %9s | %10s | %s |' "$q" "${WHAT[$q]}" \
            "$(echo "$N / $RES_WALL" | bc)" "$(echo "$N / $RES_CPU" | bc)" "$a" "$(printf '%.2f' "$RES_WALL")" "$RES_CPU" "$((RES_RSS / 1024))" \
            "$((RES_STATE / 1024))" "$((RES_FILE / 1024))" "$check")")
    else
        case $RES_STATUS in FAIL*) fails=$((fails + 1)) ;; esac
        rows+=("$(printf '| %-4s | %-34s | %9s | %9s | %7s | %5s | %6s | %7s | %9s | %10s | %s |' "$q" "${WHAT[$q]}" - - "$a" - - - - - "$RES_STATUS")")
    fi
done

echo
echo "Nexmark, N = $N events (seed 1, $EVENT_RATE events/s of event time), one core each; $(date -u +%Y-%m-%dT%H:%MZ)"
echo "(b): Kafka → eddy → Kafka through eddy broker: ev/s = N / wall, ev/CPU-s = N / CPU seconds (Flink's"
echo "Throughput/Cores is events per CPU-second too); (a): nexmark source → blackhole, N / wall"
echo
echo "| q    | exercises                          | (b) ev/s  | (b) ev/CPU-s | (a) ev/s | wall s | CPU s  | RSS MiB | state KiB | file KiB   | output check |"
echo "| ---- | ---------------------------------- | --------- | ------------ | -------- | ------ | ------ | ------- | --------- | ---------- | ------------ |"
printf '%s\n' "${rows[@]}"
[ "$fails" = 0 ] || { log "nexmark: $fails queries failed their check"; exit 1; }
