#!/bin/sh
# make bench: every benchmark, each printing throughput and peak memory.
#   bench/*.sh    shell benchmarks, given the build directory as $1
#   bench/*.c     compiled into $BUILD/bench/NAME and run (except measure)
set -u
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
status=0
for b in bench/*.sh; do
    [ "$b" = bench/run-all.sh ] && continue
    echo "== $b"
    sh "$b" "$BUILD" || status=1
done
for b in "$BUILD"/bench/*; do
    case "$(basename "$b")" in measure|*.d) continue ;; esac
    [ -x "$b" ] || continue
    echo "== $b"
    "$BUILD/bench/measure" "$b" || status=1
done
exit $status
