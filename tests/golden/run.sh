#!/bin/sh
# run.sh — one golden-file test of `eddy explain`, PostgreSQL style.
#
# usage: run.sh EDDY_BIN CASE.sql [--update]
#
# Runs `EDDY_BIN explain CASE.sql` (and, for cases named plan_*, also
# `EDDY_BIN explain --json CASE.sql`) from the case's own directory with a
# relative file name, so error positions read `case.sql:L:C` wherever the
# tree lives.  Exit status, stdout and stderr of each run go into one text,
# which is compared with expected/CASE.out (next to this script) by `diff -u`.
# With --update, or EDDY_UPDATE_GOLDEN=1 in the environment, the text
# replaces the expected file instead.  Exit 0 = same (or updated), 1 = differs
# or no expected file, 2 = usage.
set -u

usage() { echo "usage: run.sh EDDY_BIN CASE.sql [--update]" >&2; exit 2; }
[ $# -ge 2 ] && [ $# -le 3 ] || usage
bin=$1
case_path=$2
update=${EDDY_UPDATE_GOLDEN:-0}
[ "$update" = 1 ] || update=0
if [ $# -eq 3 ]; then
    [ "$3" = --update ] || usage
    update=1
fi

# Absolute paths, since the runs happen in the case's directory.
here=$(cd "$(dirname "$0")" && pwd)
case "$bin" in /*) ;; */*) bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin") ;; esac
[ -f "$case_path" ] || { echo "run.sh: no such case: $case_path" >&2; exit 2; }
case_dir=$(cd "$(dirname "$case_path")" && pwd)
case_file=$(basename "$case_path")
name=${case_file%.sql}
expected=$here/expected/$name.out

tmp=$(mktemp -d "${TMPDIR:-/tmp}/eddy-golden.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
actual=$tmp/$name.out

# Appends one file's text; flags a missing final newline so it stays visible.
section() {
    printf -- '-- %s:\n' "$1" >>"$actual"
    cat "$2" >>"$actual"
    if [ -s "$2" ] && [ "$(tail -c 1 "$2" | od -An -c | tr -d ' ')" != '\n' ]; then
        printf '\n-- (no newline at end of %s)\n' "$1" >>"$actual"
    fi
}

# One run of eddy: the command line, its exit status, stdout and stderr.
run() {
    (cd "$case_dir" && "$bin" "$@" >"$tmp/stdout" 2>"$tmp/stderr")
    rc=$?
    printf -- '-- $ eddy %s\n-- exit: %d\n' "$*" "$rc" >>"$actual"
    section stdout "$tmp/stdout"
    section stderr "$tmp/stderr"
}

: >"$actual"
run explain "$case_file"
case $name in
plan_*)
    printf '\n' >>"$actual"
    run explain --json "$case_file"
    ;;
esac

if [ "$update" = 1 ]; then
    mkdir -p "$here/expected"
    if [ -f "$expected" ] && cmp -s "$actual" "$expected"; then
        echo "golden $name: unchanged"
    else
        cp "$actual" "$expected" && echo "golden $name: wrote expected/$name.out"
    fi
    exit 0
fi

if [ ! -f "$expected" ]; then
    echo "golden $name: no expected output tests/golden/expected/$name.out" >&2
    echo "  review this output, then run: sh tests/golden/run.sh EDDY_BIN $case_path --update" >&2
    echo "  (or: EDDY_UPDATE_GOLDEN=1 ctest -R golden/$name)" >&2
    cat "$actual" >&2
    exit 1
fi
if diff -u --label "expected/$name.out" --label "actual/$name.out" "$expected" "$actual"; then
    exit 0
fi
echo "golden $name: output differs from expected/$name.out (--- expected, +++ actual)" >&2
echo "  if the new output is right: EDDY_UPDATE_GOLDEN=1 ctest -R golden/$name" >&2
exit 1
