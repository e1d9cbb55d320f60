#!/usr/bin/env bash
# bench/latency_bench.sh — end-to-end latency of the reference job at a
# steady rate, next to the broker's own produce-to-consume latency measured
# in the same run (issue 16: p99 at most 20 ms above the broker's).
#
#     bench/latency_bench.sh                 # 100k orders/s, 3 rounds
#     RATE=50000 REPEAT=1 bench/latency_bench.sh
#
# One `eddy broker` (a 16-partition topic per run).  Each round, for each
# configuration of the reference job (sql/orders.sql):
#   default   as shipped: mini-batches of up to 100 ms
#             ('table.exec.mini-batch.allow-latency'), the sink's producer
#             lingering 20 ms;
#   lowlat    'table.exec.mini-batch.allow-latency' = 'LOWLAT_MS ms' (5)
#             and the sink's 'properties.linger.ms' = '2';
# the job runs unbounded (`eddy run --state none --http 127.0.0.1:0`), a
# plain librdkafka consumer (bench/latency_probe.c) reads the same topic
# from its end, and `eddy gen orders --rate RATE` produces for WARMUP +
# SECONDS_ seconds.  Measured over the SECONDS_ after the WARMUP:
#   eddy    record timestamp -> the sink's acknowledgement of the
#           mini-batch the record was in: the difference of the job's
#           eddy_job_end_to_end_latency_seconds histogram (/metrics)
#           between the start and the end of the window, p50/p99
#           interpolated within a bucket (buckets 1,2,3,4,5,6,8,10,12,15,
#           20,25,30,40,50,60,80,100,125,150,200,250,300,400,500,750 ms, ...:
#           about 25 % wide, which bounds the error of an eddy quantile);
#   broker  record timestamp -> the plain consumer has it (0.1 ms steps).
# Both start from the same timestamp, the one the generator's producer
# gave the record when it queued it, so the producer's own linger (5 ms)
# is in both.  The job's lag at the end says whether it kept up.
#
# Environment: RATE=100000, SECONDS_=20, WARMUP=5, REPEAT=3,
# CONFIGS="default lowlat", LOWLAT_MS=5, EDDY=path (else a Release tree in BUILD,
# default /tmp/eddy-bench-build, is configured and built), CC=cc.
# Prints one line per run and, last, the medians per configuration.
set -euo pipefail
# One job on one thread, as these figures always were (`eddy run` uses every
# core by default; bench/run.sh's *_p2 phases ask for 2 worker threads).
export EDDY_PARALLELISM=${EDDY_PARALLELISM:-1}

RATE=${RATE:-100000}
SECS=${SECONDS_:-20}
WARMUP=${WARMUP:-5}
REPEAT=${REPEAT:-3}
CONFIGS=${CONFIGS:-default lowlat}
LOWLAT_MS=${LOWLAT_MS:-5}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=${BUILD:-/tmp/eddy-bench-build}
WORK=$(mktemp -d /tmp/eddy-latbench.XXXXXX)
BPID=
cleanup() {
    jobs -p | xargs -r kill 2>/dev/null || true
    [ -n "$BPID" ] && wait "$BPID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
die() { echo "latency_bench: $*" >&2; exit 1; }
. "$HERE/lib.sh"
bench_eddy "$BUILD"
PROBE=$WORK/latency_probe
${CC:-cc} -O2 -o "$PROBE" "$HERE/latency_probe.c" -lrdkafka

cd "$WORK"
topics=()
for r in $(seq "$REPEAT"); do for c in $CONFIGS; do topics+=(--topic "lat_${c}_$r:16"); done; done
bench_broker "${topics[@]}"
BS=$B
echo "broker at $BS; $RATE orders/s, ${WARMUP} s warm-up + ${SECS} s measured, $REPEAT round(s) of: $CONFIGS" >&2

job_sql() {   # $1 config, $2 topic
    case $1 in
        default) echo "" ;;
        lowlat) echo "SET 'table.exec.mini-batch.allow-latency' = '$LOWLAT_MS ms';" ;;
        *) echo "latency_bench: unknown configuration '$1' (default, lowlat)" >&2; exit 2 ;;
    esac
    sed "s/orders_raw/$2/g; s/orders_summary/${2}_out/g" "$ROOT/sql/orders.sql" |
        if [ "$1" = lowlat ]; then sed "s/WITH ('changelog.mode' = 'upsert')/WITH ('changelog.mode' = 'upsert', 'properties.linger.ms' = '2')/"; else cat; fi
}

# The eddy_job_end_to_end_latency_seconds buckets of a /metrics page, "le count" per line.
buckets() { curl -s "${1}metrics" | sed -n 's/^eddy_job_end_to_end_latency_seconds_bucket{job="[^"]*",le="\([^"]*\)"} \([0-9]*\)$/\1 \2/p'; }
gauge() { curl -s "${1}metrics" | sed -n "s/^$2{job=\"[^\"]*\"} \\([0-9.e+-]*\\)\$/\\1/p" | head -1; }

results=$WORK/results
: > "$results"
for r in $(seq "$REPEAT"); do
    for c in $CONFIGS; do
        t=lat_${c}_$r
        job_sql "$c" "$t" > "$t.sql"
        "$EDDY" run --state none --no-progress --http 127.0.0.1:0 --bootstrap "$BS" "$t.sql" > /dev/null 2> "$t.err" &
        JPID=$!
        URL=
        for _ in $(seq 200); do URL=$(grep -o 'http://127.0.0.1:[0-9]*/' "$t.err" | head -1 || true); [ -n "$URL" ] && break; sleep 0.05; done
        [ -n "$URL" ] || { cat "$t.err" >&2; echo "latency_bench: the job did not start" >&2; exit 1; }
        "$PROBE" "$BS" "$t" "$SECS" "$WARMUP" > "$t.probe" 2>&1 &
        PPID_=$!
        for _ in $(seq 200); do grep -q ready "$t.probe" && break; sleep 0.05; done
        "$EDDY" gen orders --bootstrap "$BS" --topic "$t" --rate "$RATE" --count $((RATE * (WARMUP + SECS + 1))) --seed "$r" \
            > /dev/null 2> "$t.gen" &
        GPID=$!
        sleep "$WARMUP"
        buckets "$URL" > "$t.h0"
        in0=$(gauge "$URL" eddy_job_records_in_total)
        sleep "$SECS"
        buckets "$URL" > "$t.h1"
        in1=$(gauge "$URL" eddy_job_records_in_total)
        wait "$GPID" || { cat "$t.gen" >&2; exit 1; }
        sleep 1
        lag=$(gauge "$URL" eddy_job_consumer_lag_records)
        wait "$PPID_" || true
        kill -TERM "$JPID"; wait "$JPID" || true
        python3 - "$c" "$r" "$t" "$in0" "$in1" "$lag" "$SECS" >> "$results" <<'EOF'
import re, sys
c, r, t, in0, in1, lag, secs = sys.argv[1:]
def hist(path):
    h = []
    for line in open(path):
        le, n = line.split()
        h.append((float("inf") if le == "+Inf" else float(le) * 1000, int(n)))
    return h
h0, h1 = hist(t + ".h0"), hist(t + ".h1")
cum = [n1 - n0 for (_, n0), (_, n1) in zip(h0, h1)]
bounds = [b for b, _ in h1]
total = cum[-1] if cum else 0
def q(f):   # linear within a bucket, as /jobs does
    want, prev_cum, lo = f * total, 0, 0.0
    for b, cu in zip(bounds, cum):
        if cu >= want and cu > prev_cum:
            hi = b if b != float("inf") else lo * 2
            return lo + (hi - lo) * (want - prev_cum) / (cu - prev_cum)
        prev_cum, lo = cu, b
    return float("nan")
probe = dict(kv.split("=") for kv in open(t + ".probe").read().split() if "=" in kv)
gen = open(t + ".gen").read().strip().splitlines()[-1]
m = re.search(r"\(([0-9]+)/s\)", gen)
print("%s %s %s %d %.1f %.1f %s %s %s %.0f %s" % (c, r, m.group(1) if m else "?", total, q(0.5), q(0.99), probe.get("records", "0"),
      probe.get("p50", "nan"), probe.get("p99", "nan"), (float(in1) - float(in0)) / float(secs), lag or "?"))
EOF
        read -r _ _ grate n ep50 ep99 bn bp50 bp99 jrate jlag < <(tail -1 "$results")
        printf '%-8s round %d: gen %s/s; eddy %s/s, %s records, p50 %s ms, p99 %s ms; broker %s records, p50 %s ms, p99 %s ms; lag at end %s\n' \
            "$c" "$r" "$grate" "$jrate" "$n" "$ep50" "$ep99" "$bn" "$bp50" "$bp99" "$jlag" >&2
    done
done

python3 - "$RATE" "$SECS" "$WARMUP" "$results" "$LOWLAT_MS" <<'EOF'
import statistics, sys
rate, secs, warmup, path, lowlat = sys.argv[1:]
rows = [l.split() for l in open(path) if l.strip()]
print("\nend-to-end latency of the reference job at %s orders/s offered (%s s measured after %s s warm-up), median of rounds:" % (rate, secs, warmup))
print("  %-8s %10s %10s %10s %10s %12s %12s %18s" % ("config", "gen /s", "eddy /s", "eddy p50", "eddy p99", "broker p50", "broker p99", "p99 above broker"))
for c in dict.fromkeys(r[0] for r in rows):
    rs = [r for r in rows if r[0] == c]
    med = lambda i: statistics.median(float(r[i]) for r in rs)
    print("  %-8s %10.0f %10.0f %8.1f ms %8.1f ms %9.1f ms %9.1f ms %15.1f ms" % (c, med(2), med(9), med(4), med(5), med(7), med(8),
          statistics.median(float(r[5]) - float(r[8]) for r in rs)))
print("  (target of issue 16: eddy p99 at most 20 ms above the broker's; default = as shipped, 100 ms mini-batches;"
      " lowlat = allow-latency %s ms, sink linger 2 ms)" % lowlat)
EOF
