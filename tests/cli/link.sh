# Command tests for `childlink train`, `link` and `explain` (sourced by tests/cli-lib.sh).
L="$D/link"

run 0 "$CL" help link
has_out "Usage: childlink link"
run 0 "$CL" help train
has_out "Usage: childlink train"
run 0 "$CL" help explain
has_out "Usage: childlink explain"

# A synthetic population, every source linked and deduplicated at once
run 0 "$CL" synth --children 300 --seed 11 --out pop
set -- ; for s in hes_apc ecds camhs npd_census npd_absence npd_ks2 npd_ks4 npd_exclusions csc_cin csc_cla; do
    set -- "$@" "$s=pop/$s.csv"; done
run 0 "$CL" link "$@" --out lm.csv --pairs pairs.csv
has_out "candidate pairs"
holds "link map has one row per record" test "$(($(wc -l < lm.csv) - 1))" -eq "$(($(wc -l < pop/truth.csv) - 1))"
holds "link map header" sh -c 'head -n 1 lm.csv | grep -qx "source,record_id,child_id,match_probability,link_rule"'
holds "child ids are opaque pseudonyms" sh -c 'tail -n +2 lm.csv | cut -d, -f3 | grep -vqE "^c[0-9a-f]{8}$" && exit 1 || exit 0'
run 0 "$CL" evaluate --linkmap lm.csv --truth pop/truth.csv --out eval.json
holds "pairwise F1 >= 0.98 on synthetic children" sh -c \
  'awk "/^  F1 /{ if (\$2 + 0 >= 0.98) ok = 1 } END { exit !ok }" "'"$OUT"'"'
holds "no cluster merges two children (twins kept apart)" sh -c \
  'grep -qE "^  clusters merged +0 " "'"$OUT"'"'

# The same bytes for the same inputs
run 0 "$CL" link "$@" --out lm2.csv --threads 1
same lm.csv lm2.csv

# Train once, link with the model; the model is readable JSON
run 0 "$CL" train "$@" --out model.json
has_out "EM: converged"
holds "model documents every comparison" grep -q '"comparison": "nhs_number"' model.json
run 0 "$CL" link "$@" --model model.json --out lm3.csv
holds "link with a saved model gives a link map" test -s lm3.csv

# Count pairs per blocking rule; a rule that would explode is refused
run 0 "$CL" link "$@" --count-pairs
has_out "surname_soundex+birth_month"
run 4 "$CL" link "$@" --out big.csv --max-pairs 100
has_err "would create"
absent big.csv

# Near-agreement levels and guards on a small hand-made file
run 0 "$CL" train "s=$L/small.csv" --out small.model.json
run 0 "$CL" explain "s=$L/small.csv" --model small.model.json --pair s:a1 s:a4
has_out "swapped_with_surname"
run 0 "$CL" explain "s=$L/small.csv" --model small.model.json --pair s:a1 s:a5
has_out "day_month_transposed"
has_out "same_sector"
run 0 "$CL" explain "s=$L/small.csv" --model small.model.json --pair s:a1 s:a6
has_out "one_digit_or_transposition"
run 0 "$CL" explain "s=$L/small.csv" --model small.model.json --pair s:a1 s:a2
has_out "decision: twin_guard"
run 0 "$CL" explain "s=$L/small.csv" --model small.model.json --pair s:a1 s:a3
has_out "decision: nhs_dob"
run 1 "$CL" explain "s=$L/small.csv" --model small.model.json --pair s:a1 s:nope
has_err "no record 's:nope'"

# Bad input: clear errors, non-zero exit, no partial link map
run 2 "$CL" link
has_err "give at least one input file"
run 2 "$CL" link "s=$L/small.csv"
has_err "--out is required"
run 2 "$CL" link "s=$L/small.csv" --out x.csv --threshold 1.5
has_err "--threshold"
run 2 "$CL" link "s=$L/small.csv" --out x.csv --mode sideways
has_err "--mode must be"
run 2 "$CL" link "s=$L/small.csv" --out x.csv --mode link
has_err "needs at least two inputs"
run 1 "$CL" link "d=$L/dup.csv" --out x.csv
has_err "dup.csv:3: duplicate record id 'x1' (first on line 2)"
absent x.csv
run 1 "$CL" link "h=$L/header_only.csv" --out x.csv
has_err "header but no records"
absent x.csv
run 3 "$CL" link "m=/nonexistent.csv" --out x.csv
has_err "cannot open"
run 2 "$CL" link "a=$L/small.csv" "a=$L/same.csv" --out x.csv
has_err "given twice"
absent x.csv
sed 's/"nhs_number"/"nhs_num"/' model.json > bad.model.json
run 1 "$CL" link "s=$L/small.csv" --model bad.model.json --out x.csv
has_err "not one this version knows"
absent x.csv
printf '{"model": "childlink-model/1"' > broken.json
run 1 "$CL" link "s=$L/small.csv" --model broken.json --out x.csv
has_err "cannot read model"

# The ECHILD stepwise preset records each link's step ("match rank")
run 0 "$CL" link "hes_apc=pop/hes_apc.csv" "npd_census=pop/npd_census.csv" --mode link --preset echild --out echild.csv
holds "steps recorded" grep -q ',echild_step_1$' echild.csv
holds "only steps or none as rules" sh -c 'tail -n +2 echild.csv | cut -d, -f5 | grep -vqE "^(echild_step_[1-8]|none)$" && exit 1 || exit 0'
run 2 "$CL" link "s=$L/small.csv" --out x.csv --preset nosuch
has_err "unknown --preset"

# --key: the link map names records by their record_token, so encode's payload files join to it
run 0 "$CL" keygen --out project.key
run 0 "$CL" encode pop/hes_apc.csv --schema hes_apc --key project.key --ids hes.ids.csv --payload hes.payload.csv
run 0 "$CL" link "hes_apc=pop/hes_apc.csv" --key project.key --out keyed.csv
holds "link map record ids are the payload's record tokens" sh -c \
  'tail -n +2 keyed.csv | cut -d, -f2 | sort > a.txt; tail -n +2 hes.payload.csv | cut -d, -f1 | sort > b.txt; cmp -s a.txt b.txt'
holds "no clear record id in the keyed link map" sh -c \
  'tail -n +2 pop/hes_apc.csv | cut -d, -f1 | head -n 50 | while read id; do grep -q ",$id," keyed.csv && exit 1; done; exit 0'
run 3 "$CL" link "hes_apc=pop/hes_apc.csv" --key /nonexistent.key --out keyed2.csv
absent keyed2.csv

# One-to-one between two sources
run 0 "$CL" link "hes_apc=pop/hes_apc.csv" "npd_census=pop/npd_census.csv" --mode link --one-to-one hes_apc,npd_census --out oto.csv
has_out "one-to-one"
holds "no child holds two records of one source" sh -c \
  'tail -n +2 oto.csv | cut -d, -f1,3 | sort | uniq -d | grep -q . && exit 1 || exit 0'
run 2 "$CL" link "hes_apc=pop/hes_apc.csv" --one-to-one hes_apc,nosuch --out oto2.csv
has_err "not one of two different input sources"
absent oto2.csv

# Inputs without the fields any blocking rule needs: a clear error, no link map
run 1 "$CL" link "z=$L/surname_only.csv" --out none.csv
has_err "inputs lack the fields the blocking rules need"
absent none.csv
