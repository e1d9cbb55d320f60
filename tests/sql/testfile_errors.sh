#!/bin/sh
# sql/testfile_errors — malformed test files: `eddy test` names the file and
# line and exits 1; it never crashes (a NUL byte in an option line once did).
# usage: testfile_errors.sh EDDY
set -u
EDDY=$1
tmp=$(mktemp -d /tmp/eddy-testfile-errors.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL sql/testfile_errors: $*" >&2; exit 1; }

# expect NAME MESSAGE: eddy test on $tmp/NAME.test exits 1 with MESSAGE on its output
expect() {
    out=$("$EDDY" test "$tmp/$1.test" 2>&1)
    rc=$?
    [ $rc -eq 1 ] || fail "$1: exit status $rc, expected 1:
$out"
    printf '%s' "$out" | grep -qF -- "$2" || fail "$1: expected '$2' in:
$out"
}

head='=== x\n--- sql\nCREATE TABLE t (a INT);\nSELECT a FROM t;\n--- options\n'
tail='\n--- input t\n{"a": 1}\n--- changelog select\n+I[1]\n'
for opt in 'emit\0 = per-record' '\0emit = per-record' 'final-watermark = tr\0ue'; do
    printf "$head$opt$tail" > "$tmp/nul.test"
    expect nul "nul.test:6: a NUL byte in an option line"
done
printf "${head}emit per-record$tail" > "$tmp/noeq.test"
expect noeq "noeq.test:6: expected 'key = value'"
printf "${head}emit = sometimes$tail" > "$tmp/badval.test"
expect badval "option emit: expected per-record or per-batch, got 'sometimes'"
printf '%s\n' '--- sql' 'CREATE TABLE t (a INT);' > "$tmp/nocase.test"
expect nocase "no cases"
echo "sql/testfile_errors: ok"
