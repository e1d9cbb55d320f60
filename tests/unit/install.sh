# unit/install — `cmake --install` gives what an embedder and a user need:
# the eddy command, libeddy (shared, with its soname, and static), eddy.h,
# eddy.pc, the man page eddy(1) and bash completion; a program builds
# against it with `pkg-config --cflags --libs eddy` (and statically with
# --static) and runs.
# usage: install.sh BUILD_DIR [EXTRA_CFLAGS]   (the sanitizer flags of an ASan build)
set -u
BUILD=$1
EXTRA=${2:-}
tmp=$(mktemp -d /tmp/eddy-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL unit/install: $*" >&2; exit 1; }

cmake --install "$BUILD" --prefix "$tmp/usr" > "$tmp/install.log" 2>&1 || fail "cmake --install: $(cat "$tmp/install.log")"
libdir=$(dirname "$(find "$tmp/usr" -name 'libeddy.so.0' | head -1)")
[ -n "$libdir" ] && [ -e "$libdir/libeddy.so.0" ] || fail "no libeddy.so.0 installed: $(find "$tmp/usr" | head -40)"
for f in "$tmp/usr/bin/eddy" "$libdir/libeddy.so" "$libdir/libeddy.a" "$tmp/usr/include/eddy.h" "$libdir/pkgconfig/eddy.pc" \
         "$tmp/usr/share/man/man1/eddy.1" "$tmp/usr/share/bash-completion/completions/eddy"; do
    [ -e "$f" ] || fail "not installed: $f"
done
soname=$(objdump -p "$libdir/libeddy.so" | awk '$1 == "SONAME" { print $2 }')
[ "$soname" = "libeddy.so.0" ] || fail "libeddy.so's soname is '$soname', expected libeddy.so.0"

warnings=$(groff -k -man -z -ww "$tmp/usr/share/man/man1/eddy.1" 2>&1)
[ -z "$warnings" ] || fail "eddy.1 has roff warnings: $warnings"
grep -q -- '\\-\\-reset\\-state' "$tmp/usr/share/man/man1/eddy.1" || fail "eddy.1 does not document eddy run's flags"
bash -c ". '$tmp/usr/share/bash-completion/completions/eddy' && complete -p eddy" > /dev/null 2>&1 ||
    fail "the bash completion does not register for eddy"
out=$(bash -c ". '$tmp/usr/share/bash-completion/completions/eddy'; COMP_WORDS=(eddy run --re); COMP_CWORD=2; _eddy; echo \${COMPREPLY[*]}")
case $out in *--reset-state*) ;; *) fail "completing 'eddy run --re' gives '$out'" ;; esac

cat > "$tmp/prog.c" <<'PROG'
#include <eddy.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
    const char *sql = "CREATE TABLE t (a INT);\nSELECT a + 1 FROM t;\n";
    eddy_engine *e = eddy_engine_new();
    eddy_script *s;
    if (eddy_compile(e, sql, strlen(sql), "prog.sql", &s) != EDDY_OK) return 1;
    char *plan = eddy_plan_explain(eddy_script_plan(s, 1), EDDY_TEXT);
    printf("eddy %s\n%s", eddy_version(), plan);
    eddy_free(plan);
    eddy_script_free(s);
    eddy_engine_free(e);
    return 0;
}
PROG
export PKG_CONFIG_PATH="$libdir/pkgconfig"
pkg-config --exists eddy || fail "pkg-config does not find eddy.pc"
# shellcheck disable=SC2046,SC2086
cc $EXTRA -o "$tmp/prog" "$tmp/prog.c" $(pkg-config --cflags --libs eddy) 2> "$tmp/cc.err" || fail "building against eddy.pc: $(cat "$tmp/cc.err")"
out=$(LD_LIBRARY_PATH="$libdir" "$tmp/prog") || fail "the program linked with libeddy.so failed: $out"
case $out in *"Calc(select=["*) ;; *) fail "the shared program printed: $out" ;; esac
# shellcheck disable=SC2046,SC2086
# libeddy.a with its dependencies' shared libraries (Requires.private):
cc $EXTRA -o "$tmp/prog_static" "$tmp/prog.c" $(pkg-config --cflags eddy) -L"$libdir" -l:libeddy.a \
    $(pkg-config --libs $(pkg-config --print-requires-private eddy)) -lpthread -lm 2> "$tmp/cc.err" ||
    fail "building with libeddy.a: $(cat "$tmp/cc.err")"
ldd "$tmp/prog_static" | grep -q libeddy && fail "the static program still needs libeddy.so"
out=$("$tmp/prog_static") || fail "the static program failed: $out"
case $out in *"Calc(select=["*) ;; *) fail "the static program printed: $out" ;; esac
echo "unit/install: ok"
