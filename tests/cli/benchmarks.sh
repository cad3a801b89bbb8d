# Accuracy on the public linkage benchmarks (../shared/data/linkage-benchmarks)
# with the built-in schemas, and the schema features they need (sourced by
# tests/cli-lib.sh).  Threshold 0.5 fixed in advance, model trained by EM.
B="$S/linkage-benchmarks"

# Truth: the entity is the number in rec-<n>-org / rec-<n>-dup-<k>.
febrl_truth() {   # SOURCE FILE
    tr -d '\r' < "$2" | awk -F', *' -v s="$1" 'NR > 1 { split($1, p, "-"); print s "," $1 ",p" p[2] }'
}
f1_at_least() {   # MIN: the last evaluate's pairwise F1 is at least MIN
    holds "F1 >= $1" awk -v min="$1" '/^  F1 /{ if ($2 + 0 >= min) ok = 1 } END { exit !ok }' "$OUT"
}

{ echo source,record_id,person_id; febrl_truth a "$B/febrl4/dataset4a.csv"
  febrl_truth b "$B/febrl4/dataset4b.csv"; } > "$T/t4.csv"

# FEBRL 4, one to one.  Its generator replaces whole forenames (and social
# security numbers) in some duplicates: to childlink's twin guard these look
# like twins, so the guard is off for it; with the guard on F1 is still high.
run 0 "$CL" link a="$B/febrl4/dataset4a.csv" b="$B/febrl4/dataset4b.csv" --schema febrl \
    --mode link --one-to-one a,b --threshold 0.5 --twin-guard off --out "$T/lm4.csv" --pairs "$T/p4.csv"
run 0 "$CL" evaluate --linkmap "$T/lm4.csv" --truth "$T/t4.csv" --pairs "$T/p4.csv"
f1_at_least 0.999
holds "febrl4: blocking recall >= 0.999" awk '/^  blocking recall /{ if ($3 + 0 >= 0.999) ok = 1 } END { exit !ok }' "$OUT"
run 0 "$CL" link a="$B/febrl4/dataset4a.csv" b="$B/febrl4/dataset4b.csv" --schema febrl \
    --mode link --one-to-one a,b --threshold 0.5 --out "$T/lm4g.csv"
has_out "twin guard"
run 0 "$CL" evaluate --linkmap "$T/lm4g.csv" --truth "$T/t4.csv"
f1_at_least 0.995

# FEBRL 3, deduplication
{ echo source,record_id,person_id; febrl_truth f "$B/febrl3/dataset3.csv"; } > "$T/t3.csv"
run 0 "$CL" link f="$B/febrl3/dataset3.csv" --schema febrl --mode dedupe --threshold 0.5 \
    --twin-guard off --out "$T/lm3.csv"
run 0 "$CL" evaluate --linkmap "$T/lm3.csv" --truth "$T/t3.csv"
f1_at_least 0.995

# historical_50k (Splink's example model: F1 0.60)
H="$B/historical_50k/historical_50k.csv"
{ echo source,record_id,person_id; awk -F, 'NR > 1 { print "h," $1 "," $2 }' "$H"; } > "$T/th.csv"
run 0 "$CL" link h="$H" --schema historical_50k --mode dedupe --threshold 0.5 --out "$T/lmh.csv"
run 0 "$CL" evaluate --linkmap "$T/lmh.csv" --truth "$T/th.csv"
f1_at_least 0.75

# The schema features FEBRL needs: ", "-separated headers, free-form postcodes,
# address lines gathered from several columns, place, another shared identifier.
run 0 "$CL" clean "$B/febrl4/dataset4a.csv" --schema febrl --out "$T/4a.clean.csv"
holds "canonical header has address, place, other_id" sh -c \
    'head -n 1 "$1" | grep -q "ethnicity,address,place,other_id,"' sh "$T/4a.clean.csv"
holds "febrl row cleaned: free-form postcode kept, address lines joined, id kept" \
    grep -q '^rec-1070-org,,,,michaela,neumann,1915-11-11,,4223,,8 stanley street miami,winston hills,5304218,' "$T/4a.clean.csv"
run 0 "$CL" link a="$T/4a.clean.csv" --count-pairs
has_out "other_id"
has_out "dob+postcode"
run 0 "$CL" train a="$B/febrl4/dataset4a.csv" b="$B/febrl4/dataset4b.csv" --schema febrl \
    --mode link --out "$T/m4.json"
holds "model documents the address, place and other_id comparisons" sh -c \
    'grep -q "\"comparison\": \"address\"" "$1" && grep -q "\"comparison\": \"other_id\"" "$1"' sh "$T/m4.json"
run 0 "$CL" explain a="$B/febrl4/dataset4a.csv" b="$B/febrl4/dataset4b.csv" --schema febrl \
    --model "$T/m4.json" --pair a:rec-1070-org b:rec-1070-dup-0
has_out "address"
has_out "other_id"

# Bad input: an unknown postcode format, a bad --twin-guard value
printf '{"schema":"childlink-schema/1","fields":{"record_id":"id"},"postcode_format":"us"}\n' > "$T/bad.json"
printf 'id\n1\n' > "$T/one.csv"
run 1 "$CL" clean "$T/one.csv" --schema "$T/bad.json" --out "$T/x.csv"
has_err '"postcode_format" must be "uk" or "any"'
absent "$T/x.csv"
run 2 "$CL" link a="$B/febrl4/dataset4a.csv" --schema febrl --twin-guard maybe --out "$T/y.csv"
has_err "--twin-guard must be on or off"
absent "$T/y.csv"

# FEBRL 4 through `encode`: identifier files only, linked without the key.
# (Needles are matched as whole words: a 7-digit number turns up inside hex
# tokens by chance.)
run 0 "$CL" keygen --out "$T/k.key"
for s in a b; do
    run 0 "$CL" encode "$B/febrl4/dataset4$s.csv" --schema febrl --source $s --key "$T/k.key" \
        --ids "$T/$s.ids.csv" --payload "$T/$s.pay.csv" --no-salt
    run 0 "$CL" encode "$B/febrl4/dataset4$s.csv" --schema febrl --source $s --key "$T/k.key" \
        --ids "$T/$s.salted.csv" --payload "$T/$s.pay2.csv" --salt year
    run 0 "$CL" encode "$B/febrl4/dataset4$s.csv" --schema febrl --source $s --key "$T/k.key" \
        --ids "$T/$s.month.csv" --payload "$T/$s.pay3.csv"
done
holds "ids files have other_id, bf_address and filters_salted" sh -c \
    'head -n 1 "$1" | grep -q ",other_id,.*,filters_salted,.*,bf_address,bf_record,filters_balanced$"' sh "$T/a.ids.csv"
holds "no surname, street, suburb or social security number of FEBRL 4 in identifier or payload files" sh -c '
    tr -d "\r" < "$1" | awk -F", *" "NR > 1 && NR < 400 { print \$3; print \$5; print \$7; print \$11 }" |
      grep -E "^[a-z0-9 ]{5,}$" | sort -u > "$2/needles"
    test -s "$2/needles" || exit 1
    ! LC_ALL=C grep -qwFf "$2/needles" "$2/a.ids.csv" "$2/a.pay.csv" "$2/a.salted.csv" "$2/a.pay2.csv" \
        "$2/a.month.csv" "$2/a.pay3.csv"' \
    sh "$B/febrl4/dataset4a.csv" "$T"
run 0 "$CL" link a="$T/a.ids.csv" b="$T/b.ids.csv" --mode link --one-to-one a,b --threshold 0.5 \
    --twin-guard off --out "$T/lme.csv"
run 0 "$CL" evaluate --linkmap "$T/lme.csv" --truth "$T/t4.csv" --key "$T/k.key"
f1_at_least 0.98
# Salting costs recall where birth dates are missing or wrong: filters salted
# differently are not compared, and only the postcode keeps a token without the
# date.  FEBRL corrupts dates in about 8% of its duplicates: salted with the
# year, F1 0.986; with the year and month (the default), 0.970.
run 0 "$CL" link a="$T/a.salted.csv" b="$T/b.salted.csv" --mode link --one-to-one a,b \
    --threshold 0.5 --twin-guard off --out "$T/lms.csv"
run 0 "$CL" evaluate --linkmap "$T/lms.csv" --truth "$T/t4.csv" --key "$T/k.key"
f1_at_least 0.98
run 0 "$CL" link a="$T/a.month.csv" b="$T/b.month.csv" --mode link --one-to-one a,b \
    --threshold 0.5 --twin-guard off --out "$T/lmm.csv"
run 0 "$CL" evaluate --linkmap "$T/lmm.csv" --truth "$T/t4.csv" --key "$T/k.key"
f1_at_least 0.96
# A malformed other_id token: named by file, line and column, no link map.
awk -F, 'BEGIN { OFS = "," } NR == 3 { $16 = "not-a-token" } { print }' "$T/a.ids.csv" > "$T/badother.csv"
run 1 "$CL" link a="$T/badother.csv" b="$T/b.ids.csv" --out "$T/z.csv"
has_err "badother.csv:3: other_id is not a token"
absent "$T/z.csv"
