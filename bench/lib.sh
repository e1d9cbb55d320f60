# bench/lib.sh — what the bench scripts share; sourced by them, not run.
#
#   bench_build BUILD TARGET...  configures a Release tree in BUILD (no
#                                tests) and builds TARGETs; the log goes to
#                                $WORK/build.log
#   bench_eddy BUILD             EDDY = $EDDY when the caller gave one, else
#                                the eddy of a Release tree built in BUILD
#   bench_broker ARG...          starts `$EDDY broker ARG…` in the background
#                                (prefixed by the array BROKER_PIN when the
#                                caller set one), its output in
#                                $WORK/broker.out and .err; sets BPID, B (its
#                                bootstrap address) and R (its registry URL)
#   bench_broker_stop            stops it, if it runs (for cleanup traps)
#   bench_includes BUILD         the -I flags that compile a program against
#                                eddy's internal headers (src/*/, include/
#                                and BUILD's generated ones)
#   bench_libs BUILD             what links it: BUILD's libeddy.a and exactly
#                                what the eddy executable links after it
#
# The caller sets WORK and defines die MESSAGE (print, exit non-zero) first.

bench_build() {
    local build=$1
    shift
    local targets=()
    for t in "$@"; do targets+=(--target "$t"); done
    cmake -S "$ROOT" -B "$build" -DCMAKE_BUILD_TYPE=Release -DEDDY_TESTS=OFF >> "$WORK/build.log" 2>&1 ||
        die "cmake failed: see $WORK/build.log"
    cmake --build "$build" -j"$(nproc)" "${targets[@]}" >> "$WORK/build.log" 2>&1 ||
        die "build failed: see $WORK/build.log"
}

bench_eddy() {
    if [ -z "${EDDY:-}" ]; then
        printf 'bench: building eddy (Release) in %s\n' "$1" >&2
        bench_build "$1" eddy
        EDDY=$1/eddy
    fi
}

bench_broker() {
    "${BROKER_PIN[@]+"${BROKER_PIN[@]}"}" "$EDDY" broker "$@" > "$WORK/broker.out" 2> "$WORK/broker.err" &
    BPID=$!
    B= R=
    for _ in $(seq 200); do
        [ "$(wc -l < "$WORK/broker.out")" -ge 2 ] && break
        kill -0 "$BPID" 2>/dev/null || break
        sleep 0.05
    done
    B=$(sed -n 1p "$WORK/broker.out")
    R=$(sed -n 2p "$WORK/broker.out")
    case $B in 127.0.0.1:[0-9]*) ;; *) die "eddy broker did not start: $(tail -n 3 "$WORK/broker.err")" ;; esac
}

bench_broker_stop() {
    if [ -n "${BPID:-}" ]; then
        kill "$BPID" 2>/dev/null || true
        wait "$BPID" 2>/dev/null || true
        BPID=
    fi
}

bench_includes() {
    local d
    printf -- '-I%s ' "$ROOT/include" "$1/gen"
    for d in "$ROOT"/src/*/; do printf -- '-I%s ' "${d%/}"; done
}

bench_libs() {
    printf '%s %s -lpthread -lm' "$1/libeddy.a" "$(sed -n 's/.*libeddy\.a//p' "$1/CMakeFiles/eddy.dir/link.txt")"
}
