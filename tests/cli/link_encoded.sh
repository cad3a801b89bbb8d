# Command tests for linking encoded identifier files (sourced by tests/cli-lib.sh):
# each source is encoded by `encode`, the linkage runs on the identifier files
# alone, and the data holder checks it with `evaluate --key`.
SOURCES="hes_apc ecds camhs npd_census npd_absence npd_ks2 npd_ks4 npd_exclusions csc_cin csc_cla"
run 0 "$CL" synth --children 400 --seed 21 --out pop
run 0 "$CL" keygen --out p.key
mkdir enc
set -- ; clear=""
for s in $SOURCES; do
    "$CL" encode "pop/$s.csv" --schema "$s" --key p.key --ids "enc/$s.ids.csv" \
        --payload "enc/$s.payload.csv" >/dev/null 2>&1 || echo "  encode $s failed"
    set -- "$@" "$s=enc/$s.ids.csv"
    clear="$clear $s=pop/$s.csv"
done

# Link, train and explain on identifier files alone
run 0 "$CL" link "$@" --out lm.csv --pairs pairs.csv
has_out "candidate pairs"
holds "link map has one row per record" test "$(($(wc -l < lm.csv) - 1))" -eq "$(($(wc -l < pop/truth.csv) - 1))"
holds "records are named by their record tokens" sh -c \
  'tail -n +2 lm.csv | cut -d, -f2 | grep -vqE "^[0-9a-f]{32}$" && exit 1 || exit 0'
run 0 "$CL" link "$@" --count-pairs
has_out "postcode+birth_year"
has_out "dob+forename_initial"
run 0 "$CL" train "$@" --out model.json
has_out "dice_0.90"
holds "the model says it was trained on encoded identifiers" grep -q '"identifiers": "encoded"' model.json
run 0 "$CL" link "$@" --model model.json --out lm2.csv
same lm.csv lm2.csv
run 0 "$CL" link "$@" --model model.json --out lm3.csv --threads 1
same lm.csv lm3.csv
a=$(sed -n 2p lm.csv | cut -d, -f1,2 | tr , :)
b=$(sed -n 3p lm.csv | cut -d, -f1,2 | tr , :)
run 0 "$CL" explain "$@" --model model.json --pair "$a" "$b"
has_out "total match weight"

# Accuracy: within one percentage point of the same linkage in clear text
run 0 "$CL" evaluate --linkmap lm.csv --truth pop/truth.csv --key p.key
f1_encoded=$(sed -n 's/^  F1 *\([0-9.]*\).*/\1/p' "$OUT" | head -n 1)
# shellcheck disable=SC2086
run 0 "$CL" link $clear --out lm-clear.csv
run 0 "$CL" evaluate --linkmap lm-clear.csv --truth pop/truth.csv
f1_clear=$(sed -n 's/^  F1 *\([0-9.]*\).*/\1/p' "$OUT" | head -n 1)
holds "encoded F1 ($f1_encoded) >= 0.98" awk -v f="$f1_encoded" 'BEGIN { exit !(f >= 0.98) }'
holds "encoded F1 ($f1_encoded) within 1 pp of clear ($f1_clear)" \
    awk -v e="$f1_encoded" -v c="$f1_clear" 'BEGIN { exit !(c - e <= 0.01) }'
# Balanced filters (--bloom-balance) compare on their own scale: no worse.
mkdir bal
set -- ; for s in $SOURCES; do
    "$CL" encode "pop/$s.csv" --schema "$s" --key p.key --bloom-balance --ids "bal/$s.ids.csv" \
        --payload "bal/$s.payload.csv" >/dev/null 2>&1 || echo "  encode $s failed"
    set -- "$@" "$s=bal/$s.ids.csv"
done
run 0 "$CL" link "$@" --out lm-bal.csv
run 0 "$CL" evaluate --linkmap lm-bal.csv --truth pop/truth.csv --key p.key
f1_balanced=$(sed -n 's/^  F1 *\([0-9.]*\).*/\1/p' "$OUT" | head -n 1)
holds "balanced F1 ($f1_balanced) within 0.5 pp of unbalanced ($f1_encoded)" \
    awk -v b="$f1_balanced" -v e="$f1_encoded" 'BEGIN { exit !(e - b <= 0.005) }'
set -- ; for s in $SOURCES; do set -- "$@" "$s=enc/$s.ids.csv"; done
run 1 "$CL" evaluate --linkmap lm.csv --truth pop/truth.csv
has_err "no record is in both"
run 3 "$CL" evaluate --linkmap lm.csv --truth pop/truth.csv --key missing.key
has_err "missing.key"
run 0 "$CL" keygen --out other.key
run 1 "$CL" evaluate --linkmap lm.csv --truth pop/truth.csv --key other.key
has_err "no record is in both"

# Nothing identifying in anything linkage writes from identifier files
# Every NHS number, UPN, name and postcode of the population, in any case, is absent.
for s in $SOURCES; do tail -n +2 "pop/$s.csv"; done | tr ',' '\n' |
    grep -E '^([0-9]{10}|[A-Z][0-9]{11}[0-9A-Z]|[A-Za-z]{4,}|[A-Z]{1,2}[0-9][0-9A-Z]? [0-9][A-Z]{2})$' |
    sort -u > words.txt
holds "NHS numbers, UPNs, names and postcodes were found to look for" \
    sh -c 'grep -qE "^[0-9]{10}$" words.txt && grep -qE "^[A-Z][0-9]{11}" words.txt &&
           grep -qE "^[A-Z]{1,2}[0-9].* [0-9]" words.txt && grep -qE "^[A-Za-z]{4,}$" words.txt'
for f in lm.csv pairs.csv model.json; do
    holds "no clear identifier in $f" sh -c "! grep -qiwFf words.txt $f"
done

# Misuse
run 2 "$CL" link "$@" --preset echild --out x.csv
has_err "encoded identifier files are linked by the model"
absent x.csv
run 2 "$CL" link "$@" --key p.key --out x.csv
has_err "already name records by their record tokens"
absent x.csv
# shellcheck disable=SC2086
run 0 "$CL" train $clear --out clear-model.json
run 2 "$CL" link "$@" --model clear-model.json --out x.csv
has_err "trained on clear identifiers but the inputs are encoded"
absent x.csv
run 2 "$CL" explain "$@" --model clear-model.json --pair "$a" "$b"
has_err "trained on clear identifiers"
run 1 "$CL" link hes_apc=enc/hes_apc.ids.csv npd_census=pop/npd_census.csv --out x.csv
has_err "pop/npd_census.csv:1: this is a clear file but hes_apc is encoded"
absent x.csv

# Bad identifier files: each names the file and line
head -n 3 enc/hes_apc.ids.csv > bad.csv
sed -n 2p enc/hes_apc.ids.csv | sed 's/^[0-9a-f]\{32\}/NOTATOKEN/' >> bad.csv
run 1 "$CL" link h=bad.csv --out x.csv
has_err "bad.csv:4: record_token is missing or not a token"
absent x.csv
head -n 3 enc/hes_apc.ids.csv > dup.csv
sed -n 2p enc/hes_apc.ids.csv >> dup.csv
run 1 "$CL" link h=dup.csv --out x.csv
has_err "dup.csv:4: duplicate record_token (first on line 2)"
# A filter cut short, and one that is not base64
awk -F, 'NR == 1 || (NR > 1 && $22 != "" && n++ < 1)' enc/hes_apc.ids.csv > short.csv
awk -F, 'BEGIN { OFS = "," } NR > 1 && $22 != "" && n++ == 1 { $22 = substr($22, 1, 86) "=="; print }' \
    enc/hes_apc.ids.csv >> short.csv
run 1 "$CL" link h=short.csv --out x.csv
has_err "short.csv:3: bf_forenames has 512 bits but earlier filters have 1024"
head -n 2 enc/hes_apc.ids.csv > b64.csv
sed -n 3p enc/hes_apc.ids.csv | awk -F, 'BEGIN { OFS = "," } { $23 = "!!!!" substr($23, 5); print }' >> b64.csv
run 1 "$CL" link h=b64.csv --out x.csv
has_err "b64.csv:3: bf_surname is not a Bloom filter"
# Filters drawn by different schemes are never compared: a file without the
# bloom_scheme column (scheme 1, older childlink) does not mix with scheme 2.
cut -d, -f1-20,22- enc/hes_apc.ids.csv > old.csv
run 1 "$CL" link h=enc/hes_apc.ids.csv o=old.csv --out x.csv
has_err "old.csv:2: Bloom filters of scheme 1, but the files before it have scheme 2"
absent x.csv
run 0 "$CL" link h=old.csv --out x.csv
rm -f x.csv
# Balanced filters compare on their own scale: never mixed with others.
awk -F, 'BEGIN { OFS = "," } NR > 1 { $NF = "1" } { print }' enc/hes_apc.ids.csv > balanced.csv
run 1 "$CL" link h=enc/hes_apc.ids.csv b=balanced.csv --out x.csv
has_err "balanced.csv:2: filters are balanced but the records before it are not"
absent x.csv
# Filters salted with the year and month need the token that says which.
cut -d, -f1-16,18- enc/hes_apc.ids.csv > nomonth.csv
run 1 "$CL" link h=nomonth.csv --out x.csv
has_err "nomonth.csv:2: filters_salted is 3 but dob_year_month is empty"
absent x.csv
awk -F, 'BEGIN { OFS = "," } NR == 2 { $21 = "9" } { print }' enc/hes_apc.ids.csv > scheme9.csv
run 1 "$CL" link h=scheme9.csv --out x.csv
has_err "scheme9.csv:2: bloom_scheme is not a scheme this childlink knows (1 to 2)"
printf 'record_token,sex\n' > none.csv
run 1 "$CL" link h=none.csv --out x.csv
has_err "nothing to link on"
absent x.csv
