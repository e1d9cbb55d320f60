#!/bin/sh
# unit/readme_commands — the README's command table is complete: every
# command `eddy --help` lists has a row, and that row names every flag the
# command's --help lists (the shell's row every flag of the shell).
# usage: readme_commands.sh EDDY README.md
set -u
EDDY=$1
README=$2
fail() { echo "FAIL unit/readme_commands: $*" >&2; exit 1; }
table=$(sed -n '/^## The command line/,/^## /p' "$README" | grep '^| `eddy')
[ -n "$table" ] || fail "no command table under '## The command line' in $README"
cmds=$("$EDDY" --help | sed -n '/^commands:/,/^$/p' | awk 'NR > 1 && $1 !~ /^(help|--)/ && NF { print $1 }')
[ -n "$cmds" ] || fail "eddy --help lists no commands"
check_flags() {   # $1: the row, $2: the command's --help
    for f in $(printf '%s\n' "$2" | grep -oE '^  (-[a-zA-Z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+' | grep -v -- '--help'); do
        printf '%s' "$1" | grep -qF -- "$f" || fail "the README's row for '$3' does not name $f"
    done
}
for c in $cmds; do
    row=$(printf '%s\n' "$table" | grep -E "^\| \`eddy $c( |\`)") || fail "the README's command table has no row for 'eddy $c'"
    check_flags "$row" "$("$EDDY" "$c" --help)" "eddy $c"
done
row=$(printf '%s\n' "$table" | grep -E '^\| `eddy (\[|`)' | head -1)
[ -n "$row" ] || fail "the README's command table has no row for the shell (eddy [options])"
check_flags "$row" "$("$EDDY" --help | sed -n '/^options of the shell:/,/^$/p')" "eddy (the shell)"
for w in "help options" "help functions" "--version"; do
    printf '%s\n' "$table" | grep -qF -- "eddy $w" || fail "the README's command table has no row for 'eddy $w'"
done
echo "unit/readme_commands: ok ($(printf '%s\n' "$cmds" | wc -l) commands)"
