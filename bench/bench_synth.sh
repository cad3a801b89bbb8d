#!/bin/sh
# Benchmark: `childlink synth` generating 1,000,000 children with all their
# records (about 18 per child, some 3 GB of CSV) on one core.  Prints
# children/s, records/s and peak memory; the target is <= 60 s, and memory
# should not depend on the number of children (BENCH_SYNTH_CHILDREN changes
# it).  Peak memory comes from bench/measure when built, else /usr/bin/time
# -v, else the process's VmHWM read from /proc while it runs.
set -eu
BUILD=${1:-build}
N=${BENCH_SYNTH_CHILDREN:-1000000}
CL="$BUILD/childlink"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

wall="" rss=""
if [ -x "$BUILD/bench/measure" ]; then
    out=$("$BUILD/bench/measure" "$CL" --quiet synth --out "$tmp/out" --children "$N" --seed 1 \
          2>&1 >/dev/null)
    wall=$(echo "$out" | sed -n 's/.*wall_s=\([0-9.]*\).*/\1/p')
    rss=$(echo "$out" | sed -n 's/.*peak_rss_mb=\([0-9.]*\).*/\1/p')
elif [ -x /usr/bin/time ]; then
    /usr/bin/time -v "$CL" --quiet synth --out "$tmp/out" --children "$N" --seed 1 \
        2>"$tmp/time.txt" >/dev/null
    wall=$(sed -n 's/.*Elapsed (wall clock) time[^:]*: //p' "$tmp/time.txt" |
           awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time.txt" |
          awk '{ printf "%.1f", $1 / 1024 }')
else
    start=$(date +%s.%N)
    "$CL" --quiet synth --out "$tmp/out" --children "$N" --seed 1 >/dev/null &
    pid=$!
    hwm=0
    while kill -0 "$pid" 2>/dev/null; do
        kb=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$pid/status" 2>/dev/null || true)
        [ -n "$kb" ] && [ "$kb" -gt "$hwm" ] && hwm=$kb
        sleep 0.2
    done
    wait "$pid"
    end=$(date +%s.%N)
    wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
    rss=$(awk -v k="$hwm" 'BEGIN { printf "%.1f", k / 1024 }')
fi
test -s "$tmp/out/params.json"   # the run completed
records=$(($(wc -l < "$tmp/out/truth.csv") - 1))
bytes=$(du -sk "$tmp/out" | awk '{ print $1 * 1024 }')
awk -v n="$N" -v r="$records" -v w="$wall" -v m="$rss" -v b="$bytes" 'BEGIN {
    printf "synth: %d children, %d records (%.1f per child, %.2f GB) in %.2f s on one core\n",
           n, r, r / n, b / 1e9, w
    printf "synth: %.0f children/s, %.0f records/s, peak memory %.1f MiB (target: 1,000,000 children in <= 60 s)\n",
           n / w, r / w, m }'
