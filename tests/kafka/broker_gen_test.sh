#!/bin/sh
# broker_gen_test.sh — end-to-end test of `eddy broker` and `eddy gen`,
# checked with kcat.
#
# Usage: tests/broker_gen_test.sh path/to/eddy
#
# Starts `eddy broker` in the background, reads the bootstrap address from
# its first line of output, produces orders with `eddy gen`, and checks with
# kcat: the record count, the partition count of pre-created and
# auto-created topics, the shape of the JSON, that one seed gives the same
# records twice (and another seed different ones), the EDDY_BOOTSTRAP
# fallback, usage errors, and that the broker stops cleanly on SIGTERM;
# then `eddy broker --control`'s answers to good and bad fault commands.
# Exits non-zero on the first failure.

set -u

EDDY=${1:?usage: $0 path/to/eddy}
COUNT=20000
SEED=7

tmp=$(mktemp -d "${TMPDIR:-/tmp}/eddy-broker-gen.XXXXXX") || exit 1
broker_pid=

cleanup() {
    if [ -n "$broker_pid" ]; then
        kill -TERM "$broker_pid" 2>/dev/null
        wait "$broker_pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
    echo "FAIL: $*" >&2
    if [ -s "$tmp/broker.err" ]; then
        echo "--- broker stderr:" >&2
        cat "$tmp/broker.err" >&2
    fi
    exit 1
}

command -v kcat >/dev/null 2>&1 || fail "kcat is not installed"

# --- start the broker and read its address ---------------------------------
"$EDDY" broker --topic orders_raw:8 --topic orders_copy:8 --topic orders_other \
    --partitions 3 >"$tmp/broker.out" 2>"$tmp/broker.err" &
broker_pid=$!

addr=
i=0
while [ $i -lt 100 ]; do
    if [ -s "$tmp/broker.out" ]; then
        addr=$(head -n 1 "$tmp/broker.out")
        break
    fi
    kill -0 "$broker_pid" 2>/dev/null || fail "eddy broker exited early"
    sleep 0.1
    i=$((i + 1))
done
[ -n "$addr" ] || fail "eddy broker printed no address within 10 s"
case "$addr" in
    127.0.0.1:[0-9]*) ;;
    *) fail "unexpected bootstrap address '$addr'" ;;
esac
echo "broker at $addr"

# kcat consumes a topic from the start to its end: "key<TAB>value" lines.
dump() {
    kcat -b "$addr" -C -t "$1" -e -q -f '%k\t%s\n' || fail "kcat -C -t $1"
}

partitions() {
    kcat -b "$addr" -L -t "$1" |
        sed -n "s/.*topic \"$1\" with \([0-9]*\) partitions.*/\1/p"
}

# --- produce, count -------------------------------------------------------
"$EDDY" gen orders --topic orders_raw --count $COUNT --seed $SEED \
    --bootstrap "$addr" 2>"$tmp/gen.err" || {
    cat "$tmp/gen.err" >&2
    fail "eddy gen exited with $?"
}
grep -q "^produced $COUNT orders to orders_raw in .* s (.*/s)" "$tmp/gen.err" ||
    fail "unexpected summary: $(cat "$tmp/gen.err")"

dump orders_raw >"$tmp/raw.txt"
n=$(wc -l <"$tmp/raw.txt")
[ "$n" -eq $COUNT ] || fail "kcat read $n records from orders_raw, expected $COUNT"
[ "$(partitions orders_raw)" = 8 ] ||
    fail "orders_raw has $(partitions orders_raw) partitions, expected 8"
[ "$(partitions orders_other)" = 3 ] ||
    fail "orders_other has $(partitions orders_other) partitions, expected 3"

# --- the records' shape -------------------------------------------------------
# key {"order_id":N}, value with the same N, user_id 1..1000, amount with at
# most two decimals and no trailing zero (12.5, 12.0, never 12.50), region
# from the fixed list; order ids 1..COUNT each exactly once.
regions_re='(us-east|us-west|eu-west|eu-central|ap-south|ap-northeast|sa-east|af-south)'
shape='^\{"order_id":([1-9][0-9]*)\}	\{"order_id":\1,'
shape=$shape'"user_id":([1-9][0-9]{0,2}|1000),'
shape=$shape'"amount":[1-9][0-9]{0,2}\.([0-9]|[0-9][1-9]),'
shape=$shape'"region":"'$regions_re'"\}$'
bad=$(grep -Evc "$shape" "$tmp/raw.txt")
[ "$bad" -eq 0 ] || {
    grep -Ev "$shape" "$tmp/raw.txt" | head -3 >&2
    fail "$bad records do not have the reference shape"
}
ids=$(sed 's/^{"order_id":\([0-9]*\)}.*/\1/' "$tmp/raw.txt" | sort -n | uniq | wc -l)
[ "$ids" -eq $COUNT ] || fail "$ids distinct order ids, expected $COUNT"
max=$(sed 's/^{"order_id":\([0-9]*\)}.*/\1/' "$tmp/raw.txt" | sort -n | tail -n 1)
[ "$max" -eq $COUNT ] || fail "largest order id $max, expected $COUNT"
regions=$(sed 's/.*"region":"\([a-z-]*\)".*/\1/' "$tmp/raw.txt" | sort -u | wc -l)
[ "$regions" -eq 8 ] || fail "$regions distinct regions, expected 8"
awk -F'"amount":' '{ split($2, a, ","); x = a[1] + 0;
                     if (x < 1 || x > 500) { print "amount " a[1]; exit 1 } }' \
    "$tmp/raw.txt" || fail "amount out of 1.00..500.00"

# --- the stream for a seed is pinned: a change to the generator shows here --
cat >"$tmp/pinned.txt" <<'END'
{"order_id":1}	{"order_id":1,"user_id":488,"amount":97.52,"region":"eu-west"}
{"order_id":2}	{"order_id":2,"user_id":204,"amount":147.68,"region":"us-west"}
{"order_id":3}	{"order_id":3,"user_id":799,"amount":147.98,"region":"us-west"}
END
grep -E '^\{"order_id":[123]\}' "$tmp/raw.txt" | sort >"$tmp/first3.txt"
cmp -s "$tmp/first3.txt" "$tmp/pinned.txt" || {
    cat "$tmp/first3.txt" >&2
    fail "orders 1-3 of seed $SEED differ from the pinned ones"
}

# --- same seed, same records; other seed, other records -----------------------
"$EDDY" gen orders --topic orders_copy --count $COUNT --seed $SEED \
    --bootstrap "$addr" 2>"$tmp/gen2.err" || fail "second eddy gen failed"
sort "$tmp/raw.txt" >"$tmp/a.txt"
dump orders_copy | sort >"$tmp/b.txt"
cmp -s "$tmp/a.txt" "$tmp/b.txt" || {
    diff "$tmp/a.txt" "$tmp/b.txt" | head -5 >&2
    fail "the same seed produced different records"
}

# the same key lands on the same partition in both topics (key hashing)
kcat -b "$addr" -C -t orders_raw -e -q -f '%k %p\n' | sort >"$tmp/pa.txt"
kcat -b "$addr" -C -t orders_copy -e -q -f '%k %p\n' | sort >"$tmp/pb.txt"
cmp -s "$tmp/pa.txt" "$tmp/pb.txt" || fail "keys were partitioned differently"

# --regions and --users narrow the stream; EDDY_BOOTSTRAP stands in for
# --bootstrap; an unknown topic is auto-created with the mock's 4 partitions
EDDY_BOOTSTRAP=$addr "$EDDY" gen orders --topic orders_env --count 500 \
    --seed 8 --regions 2 --users 5 2>"$tmp/gen3.err" ||
    fail "eddy gen with EDDY_BOOTSTRAP failed: $(cat "$tmp/gen3.err")"
dump orders_env >"$tmp/env.txt"
[ "$(wc -l <"$tmp/env.txt")" -eq 500 ] || fail "orders_env does not hold 500 records"
sort "$tmp/env.txt" | cmp -s - "$tmp/a.txt" && fail "seed 8 gave seed 7's records"
[ "$(sed 's/.*"region":"\([a-z-]*\)".*/\1/' "$tmp/env.txt" | sort -u | tr '\n' ' ')" = "us-east us-west " ] ||
    fail "--regions 2 should give exactly us-east and us-west"
grep -Eqv '"user_id":[1-5],' "$tmp/env.txt" && fail "--users 5 gave a user_id above 5"
[ "$(partitions orders_env)" = 4 ] || fail "auto-created topic should have 4 partitions"

# --rate paces production
start=$(date +%s.%N)
"$EDDY" gen orders --topic orders_env --count 300 --rate 1000 --bootstrap "$addr" \
    2>/dev/null || fail "eddy gen --rate failed"
took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
# (a lower bound only: 300 orders cannot take less than ~0.3 s when paced;
# how much longer a loaded machine takes is not this test's business)
awk -v t="$took" 'BEGIN { exit !(t > 0.2) }' ||
    fail "300 orders at 1000/s took $took s: not paced"
# a rate below one order per catch-up window (100 ms) still produces: 3 at 4/s in ~0.75 s
start=$(date +%s.%N)
timeout 20 "$EDDY" gen orders --topic orders_slow --count 3 --rate 4 --bootstrap "$addr" \
    2>/dev/null || fail "eddy gen --rate 4 --count 3 failed or hung"
took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
awk -v t="$took" 'BEGIN { exit !(t > 0.4) }' || fail "3 orders at 4/s took $took s: not paced"

# --event-step gives event time at a known pace: order i at 2024-01-01 + i × step
"$EDDY" gen orders --topic orders_ts --count 50 --event-step '2 s' --bootstrap "$addr" \
    2>/dev/null || fail "eddy gen --event-step failed"
kcat -b "$addr" -C -t orders_ts -e -q -f '%T %s\n' >"$tmp/ts.txt" || fail "kcat -C -t orders_ts"
awk '{ match($0, /"order_id":[0-9]+/); id = substr($0, RSTART + 11, RLENGTH - 11);
       if ($1 != 1704067200000 + (id - 1) * 2000) { print "order " id " has timestamp " $1; bad = 1 } }
     END { exit bad }' "$tmp/ts.txt" || fail "--event-step: wrong record timestamps"
[ "$(wc -l <"$tmp/ts.txt")" -eq 50 ] || fail "--event-step: expected 50 records"

# --- usage errors exit with status 2 --------------------------------------------
env -u EDDY_BOOTSTRAP "$EDDY" gen orders --topic t --count 1 2>/dev/null
[ $? -eq 2 ] || fail "gen without a bootstrap should exit 2"
"$EDDY" gen orders --topic t --count 10abc --bootstrap "$addr" 2>"$tmp/usage.err"
[ $? -eq 2 ] || fail "gen --count 10abc should exit 2"
grep -q -- "--count" "$tmp/usage.err" || fail "the error should name --count"

# --- the broker stops cleanly on SIGTERM ----------------------------------------
kill -TERM "$broker_pid"
wait "$broker_pid"
status=$?
broker_pid=
[ $status -eq 0 ] || fail "eddy broker exited with $status after SIGTERM"

# --- --control: one answer per command, errors named; the end of input does
# --- not stop it, SIGTERM does -------------------------------------------------
mkfifo "$tmp/ctl" || fail "mkfifo"
# the broker's shell opens ctl.out only once the FIFO has a writer: create it
# first, so that the wait below never reads a file that is not there yet
: >"$tmp/ctl.out"
"$EDDY" broker --brokers 2 --control <"$tmp/ctl" >"$tmp/ctl.out" 2>"$tmp/broker.err" &
broker_pid=$!
exec 3>"$tmp/ctl"
printf 'rtt all 100\n\n# a comment\ndown 3\nproduce-errors 2 NO_SUCH_ERROR\nexplode\ndown 2\nup 2\nrtt all 0\n' >&3
exec 3>&-
i=0
while [ "$(wc -l <"$tmp/ctl.out")" -lt 9 ] && [ $i -lt 100 ]; do
    kill -0 "$broker_pid" 2>/dev/null || fail "eddy broker --control exited early"
    sleep 0.1
    i=$((i + 1))
done
tail -n +3 "$tmp/ctl.out" >"$tmp/answers.txt"
cat >"$tmp/want.txt" <<'WANT'
ok
error: no broker 3 (the brokers are 1..2, or all)
error: unknown error 'NO_SUCH_ERROR' (a librdkafka error name such as REQUEST_TIMED_OUT, NOT_LEADER_FOR_PARTITION, LEADER_NOT_AVAILABLE or _TRANSPORT)
error: unknown command 'explode' (one of produce-errors, fetch-errors, request-errors, clear-errors, down, up, rtt, leader)
ok
ok
ok
WANT
cmp -s "$tmp/answers.txt" "$tmp/want.txt" ||
    fail "eddy broker --control answered:
$(cat "$tmp/answers.txt")"
sleep 0.2
kill -0 "$broker_pid" 2>/dev/null || fail "eddy broker --control stopped at the end of its input"
kill -TERM "$broker_pid"
wait "$broker_pid"
status=$?
broker_pid=
[ $status -eq 0 ] || fail "eddy broker --control exited with $status after SIGTERM"

echo "broker_gen_test: ok"
