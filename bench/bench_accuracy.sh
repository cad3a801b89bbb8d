#!/bin/sh
# Accuracy on the public linkage benchmarks in ../shared/data/linkage-benchmarks
# (FEBRL 1-4, Splink's historical_50k): pairwise precision, recall and F1 at a
# threshold fixed in advance (match probability 0.5), model trained by EM on
# the file itself, with the built-in schemas `febrl` and `historical_50k`.
# Skipped (with a line saying so) when the data are not there.
set -eu
BUILD=${1:-build}
CL="$BUILD/childlink"
DATA=${LINKAGE_BENCHMARKS:-../shared/data/linkage-benchmarks}
if [ ! -d "$DATA/febrl4" ]; then
    echo "accuracy: skipped ($DATA not found)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Truth for FEBRL: the entity is the number in rec-<n>-org / rec-<n>-dup-<k>.
febrl_truth() {   # SOURCE FILE...
    src=$1; shift
    for f in "$@"; do
        tr -d '\r' < "$f" | awk -F', *' -v s="$src" 'NR > 1 { split($1, p, "-"); print s "," $1 ",p" p[2] }'
    done
}

# one NAME TRUTH GUARD LINK-ARGS...: link, evaluate, print a line.
one() {
    name=$1 truth=$2 guard=$3; shift 3
    "$BUILD/bench/measure" "$CL" --quiet link "$@" --threshold 0.5 --twin-guard "$guard" \
        --out "$tmp/lm.csv" --pairs "$tmp/pairs.csv" > "$tmp/out" 2> "$tmp/err"
    "$CL" --quiet evaluate --linkmap "$tmp/lm.csv" --truth "$truth" --pairs "$tmp/pairs.csv" > "$tmp/eval"
    wall=$(sed -n 's/.*wall_s=\([0-9.]*\).*/\1/p' "$tmp/err")
    awk -v name="$name" -v guard="$guard" -v w="$wall" '
        /^  precision / { p = $2 } /^  recall / { r = $2 } /^  F1 / { f = $2 }
        /^  blocking recall / { b = $3 }
        END { printf "accuracy: %-16s twin guard %-3s  precision %s  recall %s  F1 %s  blocking recall %s  (%.2f s)\n", name, guard, p, r, f, b, w }' "$tmp/eval"
}

F4="$DATA/febrl4"
{ echo source,record_id,person_id; febrl_truth a "$F4/dataset4a.csv"; febrl_truth b "$F4/dataset4b.csv"; } > "$tmp/t4.csv"
for guard in on off; do
    one "febrl4 (1-1)" "$tmp/t4.csv" $guard a="$F4/dataset4a.csv" b="$F4/dataset4b.csv" \
        --schema febrl --mode link --one-to-one a,b
done
for n in 3 1 2; do
    f="$DATA/febrl$n/dataset$n.csv"
    { echo source,record_id,person_id; febrl_truth f "$f"; } > "$tmp/t$n.csv"
    for guard in on off; do
        one "febrl$n (dedupe)" "$tmp/t$n.csv" $guard f="$f" --schema febrl --mode dedupe
    done
done
H="$DATA/historical_50k/historical_50k.csv"
{ echo source,record_id,person_id
  awk -F, 'NR > 1 { print "h," $1 "," $2 }' "$H"; } > "$tmp/th.csv"
one "historical_50k" "$tmp/th.csv" on h="$H" --schema historical_50k --mode dedupe
