#!/bin/sh
# Benchmark: what a frequency attack recovers from encode's identifier files,
# by population size and salt (docs/privacy.md).  The attacker knows the exact
# frequency of every clear value in the attacked file, matches the frequencies
# of identical tokens or filters to them, and breaks ties at random: per
# distinct frequency it recovers one group of that size.  Prints the share of
# records recovered for the name- and postcode-derived columns.
# BENCH_PRIVACY_CHILDREN: population sizes (default "2000 100000").
set -eu
BUILD=${1:-build}
SIZES=${BENCH_PRIVACY_CHILDREN:-2000 100000}
CL="$BUILD/childlink"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$CL" --quiet keygen --out "$tmp/k.key" >/dev/null
COLUMNS="surname_sdx_ym names_sdx_yob postcode_yob postcode_initial dob_forename_initial bf_forenames bf_surname bf_postcode bf_record"
for n in $SIZES; do
    "$CL" --quiet synth --children "$n" --seed 7 --out "$tmp/s$n" >/dev/null 2>&1
    for salt in year month dob; do
        "$CL" --quiet encode "$tmp/s$n/hes_apc.csv" --schema hes_apc --key "$tmp/k.key" \
            --salt "$salt" --ids "$tmp/ids.csv" --payload "$tmp/pay.csv" >/dev/null
        awk -F, -v cols="$COLUMNS" -v n="$n" -v salt="$salt" '
            NR == 1 { for (i = 2; i <= NF; i++) name[i] = $i; width = NF; next }
            { for (i = 2; i <= width; i++) if ($i != "") { c[i, $i]++; total[i]++ } }
            END {
                for (k in c) {
                    split(k, a, SUBSEP)
                    if (!((a[1], c[k]) in seen)) { seen[a[1], c[k]] = 1; got[a[1]] += c[k] }
                }
                line = sprintf("privacy: %d children (%d records), --salt %s:", n, NR - 1, salt)
                m = split(cols, want, " ")
                for (j = 1; j <= m; j++)
                    for (i = 2; i <= width; i++)
                        if (name[i] == want[j])
                            line = line sprintf(" %s %.2f%%", want[j], total[i] ? 100 * got[i] / total[i] : 0)
                print line
            }' "$tmp/ids.csv"
    done
done
