#!/bin/sh
# Benchmark: `childlink link` on a synthetic population (all 10 sources), end to
# end including training.  Prints records, candidate pairs, pairs/s and peak memory.
set -eu
BUILD=${1:-build}
CHILDREN=${BENCH_LINK_CHILDREN:-20000}
CL="$BUILD/childlink"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$CL" --quiet synth --children "$CHILDREN" --seed 3 --out "$tmp/s"
set --
for s in hes_apc ecds camhs npd_census npd_absence npd_ks2 npd_ks4 npd_exclusions csc_cin csc_cla; do
    set -- "$@" "$s=$tmp/s/$s.csv"
done
"$BUILD/bench/measure" "$CL" --quiet link "$@" --out "$tmp/lm.csv" > "$tmp/out" 2> "$tmp/err"
records=$(sed -n 's/^records *//p' "$tmp/out")
pairs=$(sed -n 's/^candidate pairs *//p' "$tmp/out")
wall=$(sed -n 's/.*wall_s=\([0-9.]*\).*/\1/p' "$tmp/err")
rss=$(sed -n 's/.*peak_rss_mb=\([0-9.]*\).*/\1/p' "$tmp/err")
awk -v n="$records" -v p="$pairs" -v w="$wall" -v r="$rss" -v c="$CHILDREN" 'BEGIN {
    printf "link: %d children, %d records, %d candidate pairs in %.2f s (2 threads, training included): %.0f records/s, %.2f M pairs/s, peak memory %.1f MiB\n",
        c, n, p, w, n / w, p / w / 1e6, r }'
