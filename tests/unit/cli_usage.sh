#!/bin/sh
# unit/cli_usage — the command line's small courtesies: `eddy job.sql`
# suggests `eddy run job.sql`; `eddy help TOPIC` names an unknown topic; `eddy run DIR` says DIR is a directory; a
# UTF-8 byte-order mark before the first statement is skipped (a script, a test file, piped input); SHOW TABLES
# lists the tables sorted; a NUL byte in piped input is an error naming the
# line, not a silent stop; `eddy explain --json` reports a compile error as
# JSON on stdout (valid even when the script holds bytes that are not UTF-8);
# `STOP JOB 2` / `SHOW JOB 2` take a bare number; a double-quoted string is
# answered with the single-quote hint.
# usage: cli_usage.sh EDDY
set -u
EDDY=$1
tmp=$(mktemp -d /tmp/eddy-cli-usage.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL unit/cli_usage: $*" >&2; exit 1; }

out=$("$EDDY" job.sql 2>&1); rc=$?
[ $rc -eq 2 ] || fail "eddy job.sql: exit $rc, expected 2"
printf '%s' "$out" | grep -qF "to run a script: eddy run job.sql" || fail "eddy job.sql does not suggest eddy run: $out"

out=$("$EDDY" help nothing 2>&1); rc=$?
[ $rc -eq 2 ] || fail "eddy help nothing: exit $rc, expected 2"
printf '%s' "$out" | grep -qF "eddy: no help on 'nothing'" || fail "eddy help nothing: $out"

out=$("$EDDY" run "$tmp" 2>&1); rc=$?
[ $rc -ne 0 ] || fail "eddy run DIR succeeded"
printf '%s' "$out" | grep -qF "cannot read $tmp: Is a directory" || fail "eddy run DIR: $out"

printf '\357\273\277CREATE TABLE t (a INT);\nSELECT a FROM t;\n' > "$tmp/bom.sql"
out=$("$EDDY" explain "$tmp/bom.sql" 2>&1) || fail "a byte-order mark is not skipped: $out"
printf '%s' "$out" | grep -qF "KafkaSource(table=[t]" || fail "eddy explain with a byte-order mark: $out"
printf '\357\273\277=== bom\n--- sql\nCREATE TABLE t (a INT);\nSELECT a FROM t;\n--- input t\n{"a": 1}\n--- changelog\n+I[1]\n' > "$tmp/bom.test"
out=$("$EDDY" test "$tmp/bom.test" 2>&1) || fail "a byte-order mark in a test file: $out"
out=$(printf '\357\273\277CREATE TABLE t (a INT);\nSHOW TABLES;\n' | "$EDDY" 2>&1) || fail "a byte-order mark in piped input: $out"
[ "$out" = "t" ] || fail "a byte-order mark in piped input: $out"
out=$(printf 'CREATE TABLE zeta (a INT);\nCREATE TABLE alpha (a INT);\nCREATE TABLE mid (a INT);\nSHOW TABLES;\n' | "$EDDY" 2>&1) ||
    fail "the piped shell failed: $out"
[ "$(printf '%s' "$out" | tr '\n' ' ')" = "alpha mid zeta" ] || fail "SHOW TABLES is not sorted: $out"
out=$(printf 'CREATE TABLE a (x INT);\nSHOW TABLES;\0\nCREATE TABLE b (x INT);\n' | "$EDDY" 2>&1); rc=$?
[ $rc -eq 1 ] || fail "a NUL byte in piped input: exit $rc, expected 1: $out"
printf '%s' "$out" | grep -qF "standard input, line 2: a NUL byte" || fail "a NUL byte in piped input: $out"
printf 'CREATE TABLE t (a INT);\nSELECT a \377 FROM t;\n' > "$tmp/bad.sql"
out=$("$EDDY" explain --json "$tmp/bad.sql" 2>/dev/null); rc=$?
[ $rc -eq 1 ] || fail "eddy explain --json on a bad script: exit $rc, expected 1"
printf '%s' "$out" | python3 -c 'import json, sys
e = json.load(sys.stdin)["error"]
assert e["line"] == 2 and e["column"] == 10 and "unexpected character" in e["message"], e' ||
    fail "eddy explain --json does not report the error as JSON: $out"
out=$(printf 'STOP JOB 2;\nSHOW JOB 3;\n' | "$EDDY" --continue-on-error 2>&1)
printf '%s' "$out" | grep -qF "no job '2'" || fail "STOP JOB 2 (a bare number): $out"
printf '%s' "$out" | grep -qF "no job '3'" || fail "SHOW JOB 3 (a bare number): $out"
out=$(printf 'SELECT "x";\n' | "$EDDY" 2>&1)
printf '%s' "$out" | grep -qF "strings take single quotes ('text')" || fail "a double-quoted string: $out"
echo "unit/cli_usage: ok"
