#!/bin/sh
# Helpers for table-driven command tests.  Usage: sh tests/cli-lib.sh FILE.sh
# Inside FILE.sh:
#   run EXIT CMD ARGS...     run CMD (use "$CL" for childlink), expect exit
#                            status EXIT; stdout -> $OUT, stderr -> $ERR
#   has_err TEXT / has_out TEXT      last stderr/stdout contains TEXT
#   lacks_out TEXT                   last stdout lacks TEXT
#   same FILE1 FILE2                 files are byte-identical
#   absent PATH                      PATH does not exist (no partial output)
#   holds DESCRIPTION CMD ARGS...    CMD succeeds (any other assertion)
# Every call is one counted check.  $T is a fresh scratch directory, $D the
# checked-in test data, $S the shared data folder.
set -u
CL="$ROOT/$BUILD/childlink"
D="$ROOT/tests/data"
S="$ROOT/../shared/data"
T=$(mktemp -d)
OUT="$T/.stdout"; ERR="$T/.stderr"
export CHILDLINK_QUIET=1
trap 'rm -rf "$T"' EXIT
npass=0; nfail=0
ok() { npass=$((npass + 1)); }
bad() { nfail=$((nfail + 1)); echo "  FAIL: $*"; }
last_cmd=""

run() {
    want=$1; shift
    last_cmd="$*"
    "$@" >"$OUT" 2>"$ERR" </dev/null
    got=$?
    if [ "$got" -eq "$want" ]; then ok; else
        bad "exit $got, wanted $want: $last_cmd"; sed 's/^/    stderr: /' "$ERR" | head -n 5
    fi
}
runin() {   # like run, with standard input from a file: runin EXIT INPUT CMD...
    want=$1; input=$2; shift 2
    last_cmd="$* < $input"
    "$@" >"$OUT" 2>"$ERR" <"$input"
    got=$?
    if [ "$got" -eq "$want" ]; then ok; else
        bad "exit $got, wanted $want: $last_cmd"; sed 's/^/    stderr: /' "$ERR" | head -n 5
    fi
}
has_err() { if grep -qF -- "$1" "$ERR"; then ok; else bad "stderr lacks '$1' ($last_cmd)"; sed 's/^/    stderr: /' "$ERR" | head -n 5; fi; }
has_out() { if grep -qF -- "$1" "$OUT"; then ok; else bad "stdout lacks '$1' ($last_cmd)"; sed 's/^/    stdout: /' "$OUT" | head -n 5; fi; }
lacks_out() { if grep -qF -- "$1" "$OUT"; then bad "stdout has '$1' ($last_cmd)"; else ok; fi; }
same() { if cmp -s "$1" "$2"; then ok; else bad "$1 and $2 differ"; diff "$1" "$2" | head -n 10; fi; }
absent() { if [ -e "$1" ]; then bad "$1 exists but should not ($last_cmd)"; else ok; fi; }
holds() { d=$1; shift; if "$@" >/dev/null 2>&1; then ok; else bad "$d"; fi; }

cd "$T" || exit 1
. "$1"
echo "RESULT $npass $nfail"
