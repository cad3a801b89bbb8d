#!/bin/sh
# Run every test tier against the build in $1 and end with "N passed, N failed".
#   unit:    each build/tests/test_* cmocka binary (each test function counts)
#   command: tests/cli/*.sh, table-driven cases run on the real CLI
#   fuzz:    each build/fuzz/fuzz_* target for a few seconds (counts one)
set -u
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export ROOT BUILD
passed=0
failed=0
summary_dir=$(mktemp -d)
trap 'rm -rf "$summary_dir"' EXIT

# cmocka prints "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)".
for t in "$ROOT/$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    case "$t" in *.d) continue ;; esac
    name=$(basename "$t")
    out="$summary_dir/$name.log"
    (cd "$ROOT" && "$t") >"$out" 2>&1
    rc=$?
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | awk '{s+=$1} END {print s+0}')
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | awk '{s+=$1} END {print s+0}')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed before reporting
    passed=$((passed + p)); failed=$((failed + f))
    if [ "$f" -ne 0 ]; then
        echo "FAIL unit $name"; sed -n '1,200p' "$out"
    else
        echo "ok   unit $name ($p)"
    fi
done

# Command tests: each file is sourced by tests/cli-lib.sh in its own shell and
# prints "RESULT passed failed" on its last line.
for t in "$ROOT"/tests/cli/*.sh; do
    [ -f "$t" ] || continue
    name=$(basename "$t" .sh)
    out="$summary_dir/cli-$name.log"
    sh "$ROOT/tests/cli-lib.sh" "$t" >"$out" 2>&1
    res=$(sed -n 's/^RESULT \([0-9]*\) \([0-9]*\)$/\1 \2/p' "$out" | tail -n 1)
    if [ -z "$res" ]; then res="0 1"; fi
    p=${res% *}; f=${res#* }
    passed=$((passed + p)); failed=$((failed + f))
    if [ "$f" -ne 0 ]; then
        echo "FAIL cli  $name"; grep -v '^RESULT' "$out" | sed -n '1,200p'
    else
        echo "ok   cli  $name ($p)"
    fi
done

# Fuzz smoke: a short run per target, with its seed corpus if present.
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
[ "${RUN_FUZZ:-1}" = 1 ] && for t in "$ROOT/$BUILD"/fuzz/fuzz_*; do
    [ -x "$t" ] || continue
    case "$t" in *.d) continue ;; esac
    name=$(basename "$t")
    corpus="$summary_dir/corpus-$name"; mkdir -p "$corpus"
    seeds="$ROOT/fuzz/corpus/$name"; [ -d "$seeds" ] || seeds=""
    out="$summary_dir/$name.log"
    if "$t" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 "$corpus" $seeds >"$out" 2>&1; then
        passed=$((passed + 1)); echo "ok   fuzz $name (${FUZZ_SECONDS}s)"
    else
        failed=$((failed + 1)); echo "FAIL fuzz $name"; tail -n 60 "$out"
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
