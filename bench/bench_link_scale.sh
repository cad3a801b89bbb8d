#!/bin/sh
# Benchmark (issue 4's target): link a school file (npd_census) to a hospital
# file (hes_apc) of the same size from a synthetic population, end to end
# including training, --mode link, 2 threads.  Target at 2 x 1,000,000 records:
# <= 60 s on 2 cores and peak memory <= 8 GB; the sizes in BENCH_SCALE_SIZES
# (default "100000 1000000"; add 5000000 when asked, it needs some 10 GB of disk
# and a lot of time and memory) show how time and memory grow.
#
# For each size S: synth enough children that hes_apc.csv (about 1.95 records a
# child) has S records, cut both files to their first S records (npd_census has
# about 6 a child, so the school file covers only the first third of the
# children: the rest have no school record), link them under bench/measure and
# evaluate the link map against the synthetic truth, so that scale does not
# silently cost accuracy.  Prints one line per size, then its accuracy:
#   link_scale: 2 x S records: N candidate pairs, T s, X records/s, Y M pairs/s, peak memory Z MiB
#   link_scale: 2 x S records: precision P  recall R  F1 F  (synth of C children: T s, not counted)
# Precision and recall are pairwise over the records of both files (docs/evaluate.md);
# true pairs include those within one file, which --mode link joins only through
# a record of the other file, so recall is below 1 by design (children with
# hospital records and no school record stay split).  Inputs are named after
# their sources so the built-in npd_census and hes_apc schemas apply.
set -eu
BUILD=${1:-build}
SIZES=${BENCH_SCALE_SIZES:-100000 1000000}
CL="$BUILD/childlink"
M="$BUILD/bench/measure"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for S in $SIZES; do
    # children: S / 1.95 hospital records a child, with 5% to spare
    N=$((S * 11 / 20 + 100))
    # disk: synth writes about 3.5 kB a child (every source, truth, people)
    need_kb=$((N * 4 + S / 2))
    avail_kb=$(df -Pk "$tmp" | awk 'NR == 2 { print $4 }')
    if [ "$avail_kb" -lt "$need_kb" ]; then
        echo "link_scale: 2 x $S records: skipped (needs about $((need_kb / 1024)) MiB free in $tmp, $((avail_kb / 1024)) MiB there)"
        continue
    fi
    d="$tmp/$S"
    mkdir "$d"
    # synth; if hes_apc.csv falls short (it should not), grow N by 10% and retry
    tries=0
    while :; do
        rm -rf "$d/s"
        "$M" "$CL" --quiet synth --children "$N" --seed 3 --out "$d/s" > /dev/null 2> "$d/synth.err"
        have=$(($(wc -l < "$d/s/hes_apc.csv") - 1))
        [ "$have" -ge "$S" ] && break
        tries=$((tries + 1))
        if [ "$tries" -ge 3 ]; then
            echo "link_scale: 2 x $S records: failed (synth of $N children gives $have hospital records)"
            exit 1
        fi
        N=$((N * 11 / 10))
    done
    synth_wall=$(sed -n 's/.*wall_s=\([0-9.]*\).*/\1/p' "$d/synth.err")
    head -n $((S + 1)) "$d/s/npd_census.csv" > "$d/npd_census.csv"
    head -n $((S + 1)) "$d/s/hes_apc.csv" > "$d/hes_apc.csv"
    school=$(($(wc -l < "$d/npd_census.csv") - 1))
    if [ "$school" -lt "$S" ]; then
        echo "link_scale: 2 x $S records: failed (synth of $N children gives $school school records)"
        exit 1
    fi
    awk -F, 'NR == 1 || $1 == "npd_census" || $1 == "hes_apc"' "$d/s/truth.csv" > "$d/truth.csv"
    rm -rf "$d/s"

    if ! "$M" "$CL" --quiet link npd_census="$d/npd_census.csv" hes_apc="$d/hes_apc.csv" \
            --mode link --out "$d/lm.csv" > "$d/out" 2> "$d/err"; then
        echo "link_scale: 2 x $S records: link failed: $(grep -v wall_s= "$d/err" | tail -n 1)" \
             "($(sed -n 's/.*\(wall_s=.*\)/\1/p' "$d/err"))"
        rm -rf "$d"
        continue
    fi
    records=$(sed -n 's/^records *//p' "$d/out")
    pairs=$(sed -n 's/^candidate pairs *//p' "$d/out")
    wall=$(sed -n 's/.*wall_s=\([0-9.]*\).*/\1/p' "$d/err")
    rss=$(sed -n 's/.*peak_rss_mb=\([0-9.]*\).*/\1/p' "$d/err")
    awk -v s="$S" -v n="$records" -v p="$pairs" -v w="$wall" -v r="$rss" 'BEGIN {
        printf "link_scale: 2 x %d records: %d candidate pairs, %.2f s, %.0f records/s, %.2f M pairs/s, peak memory %.1f MiB\n",
            s, p, w, n / w, p / w / 1e6, r }'

    "$CL" --quiet evaluate --linkmap "$d/lm.csv" --truth "$d/truth.csv" > "$d/eval"
    awk -v s="$S" -v c="$N" -v sw="$synth_wall" '
        /^  precision / { p = $2 } /^  recall / { r = $2 } /^  F1 / { f = $2 }
        END { printf "link_scale: 2 x %d records: precision %s  recall %s  F1 %s  (synth of %d children: %.2f s, not counted)\n",
            s, p, r, f, c, sw }' "$d/eval"
    rm -rf "$d"
done
