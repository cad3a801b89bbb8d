# Command tests for `childlink evaluate` (sourced by tests/cli-lib.sh).
# The fixtures are the worked example of docs/evaluate.md; the expected
# outputs were checked by hand against it.
E="$D/evaluate"
EV="$CL evaluate"
cp "$E/truth.csv" "$E/linkmap.csv" "$E/pairs.csv" .

# Help and usage
run 0 "$CL" help evaluate
has_out "Usage: childlink evaluate --linkmap"
run 0 $EV --help
has_out "--min-pairs N"
run 2 $EV
has_err "--linkmap and --truth are required"
has_err "Usage: childlink evaluate"
run 2 $EV --linkmap linkmap.csv
has_err "--linkmap and --truth are required"
run 2 $EV --linkmap linkmap.csv --truth truth.csv --bogus
has_err "unknown or incomplete option '--bogus'"
run 2 $EV --linkmap linkmap.csv --truth
has_err "unknown or incomplete option"
run 2 $EV --linkmap linkmap.csv --truth truth.csv extra.csv
has_err "unexpected argument 'extra.csv'"
run 2 $EV --linkmap linkmap.csv --truth truth.csv --sweep s.csv
has_err "--sweep needs --pairs"
absent s.csv
run 2 $EV --linkmap linkmap.csv --truth truth.csv --min-pairs 0
has_err "--min-pairs needs a whole number from 1, not '0'"
run 2 $EV --linkmap linkmap.csv --truth truth.csv --min-pairs ten
has_err "not 'ten'"
run 2 $EV --linkmap linkmap.csv --truth truth.csv --by sex --by sex
has_err "--by column 'sex' given twice"
run 2 $EV --linkmap linkmap.csv --truth truth.csv --out truth.csv
has_err "output 'truth.csv' is also an input"
holds "the input is untouched" cmp -s truth.csv "$E/truth.csv"
run 2 $EV --linkmap linkmap.csv --truth truth.csv --pairs pairs.csv --sweep same.out --out same.out
has_err "must be different files"
run 2 $EV --linkmap linkmap.csv --truth truth.csv --out -
has_err "need file names"
run 2 $EV --linkmap linkmap.csv --truth truth.csv --by a --by b --by c --by d --by e --by f \
    --by g --by h --by i --by j --by k --by l --by m --by n --by o --by p --by q
has_err "at most 16 --by columns"

# Everything at once: report, sweep and JSON as checked by hand
run 0 $EV --linkmap linkmap.csv --truth truth.csv --pairs pairs.csv --by ethnic_group \
    --by deprivation_decile --min-pairs 3 --sweep sweep.csv --out evaluation.json
same "$OUT" "$E/report.expected.txt"
same sweep.csv "$E/sweep.expected.csv"
same evaluation.json "$E/evaluation.expected.json"
holds "no temporary files left" sh -c '! ls -A | grep -q tmp'
has_out "  precision                          0.5714"
has_out "  recall                             0.6667"
has_out "  F1                                 0.6154"
has_out "recall gap by ethnic_group: 66.67 percentage points (best Asian: 1.0000, worst White: 0.3333)"
has_out "blocking recall                    0.8333"

# Without pairs and --by: no sweep, no groups; default minimum of 10 pairs
run 0 $EV --linkmap linkmap.csv --truth truth.csv
has_out "6 records in both (counted); 1 only in the link map, 1 only in the truth"
has_out "persons split                           1  (50.00% of persons)"
lacks_out "Scored pairs"
lacks_out "gap by"
run 0 $EV --linkmap linkmap.csv --truth truth.csv --by ethnic_group
has_out "Asian*"
has_out "fewer than 10 true pairs: reported, but left out of the gaps"
has_out "recall gap by ethnic_group: not measured (0 groups with at least 10 true pairs"

# --out alone, and an output that already exists is replaced whole
echo "old" > again.json
run 0 $EV --linkmap linkmap.csv --truth truth.csv --out again.json
holds "JSON replaced" grep -q '"pairs": null' again.json
lacks_out "old"

# All singletons: precision is undefined, reported as n/a / NA / null
run 0 $EV --linkmap "$E/singletons.csv" --truth truth.csv --pairs pairs.csv --sweep single.csv \
    --out single.json
has_out "n/a  (no predicted pairs)"
has_out "persons exactly rebuilt                 0"
holds "precision null in JSON" grep -q '"precision": null' single.json
holds "NA in the sweep" grep -q ',NA,' single.csv

# A pairs file with a header and no rows: nothing was compared
run 0 $EV --linkmap linkmap.csv --truth truth.csv --pairs "$E/pairs_header_only.csv"
has_out "blocking recall                    0.0000"

# Progress on standard error for big inputs (1,000,000 rows), unless --quiet
awk 'BEGIN { print "source,record_id,person_id"; for (i = 0; i < 1000000; i++) print "s," i "," int(i / 2) }' > big_truth.csv
awk 'BEGIN { print "source,record_id,child_id,match_probability"; for (i = 0; i < 1000000; i++) print "s," i "," int(i / 2) ",0.9" }' > big_linkmap.csv
run 0 env -u CHILDLINK_QUIET "$CL" evaluate --linkmap big_linkmap.csv --truth big_truth.csv
has_err "childlink evaluate: big_truth.csv: 1000000 rows"
has_err "childlink evaluate: big_linkmap.csv: 1000000 rows"
has_out "  F1                                 1.0000"
run 0 env -u CHILDLINK_QUIET "$CL" --quiet evaluate --linkmap big_linkmap.csv --truth big_truth.csv
holds "quiet means no progress" test ! -s "$ERR"

# Bad input: a clear message naming file and line, non-zero exit, no output
refuse() {   # refuse EXIT MESSAGE ARGS...: fails as told and leaves no output
    want=$1; msg=$2; shift 2
    run "$want" $EV --sweep out.csv --out out.json "$@"
    has_err "$msg"
    absent out.csv
    absent out.json
}
refuse 3 "nonexistent.csv: cannot open" --linkmap linkmap.csv --truth nonexistent.csv --pairs pairs.csv
refuse 3 "nonexistent.csv: cannot open" --linkmap nonexistent.csv --truth truth.csv --pairs pairs.csv
refuse 3 "nonexistent.csv: cannot open" --linkmap linkmap.csv --truth truth.csv --pairs nonexistent.csv
refuse 1 "empty.csv: file is empty (no header line)" --linkmap linkmap.csv --truth "$E/empty.csv" --pairs pairs.csv
refuse 1 "empty.csv: file is empty (no header line)" --linkmap "$E/empty.csv" --truth truth.csv --pairs pairs.csv
refuse 1 "empty.csv: file is empty (no header line)" --linkmap linkmap.csv --truth truth.csv --pairs "$E/empty.csv"
refuse 1 "header_only.csv: file has a header but no records" --linkmap linkmap.csv --truth "$E/header_only.csv" --pairs pairs.csv
refuse 1 "truth_dup.csv:4: duplicate record (source 'hes', record_id 'a1') (first on line 2)" \
    --linkmap linkmap.csv --truth "$E/truth_dup.csv" --pairs pairs.csv
refuse 1 "linkmap_dup.csv:4: duplicate record (source 'hes', record_id 'a1') (first on line 2)" \
    --linkmap "$E/linkmap_dup.csv" --truth truth.csv --pairs pairs.csv
refuse 1 "truth_no_person.csv:1: missing column 'person_id'" --linkmap linkmap.csv --truth "$E/truth_no_person.csv" --pairs pairs.csv
refuse 1 "linkmap_no_child.csv:1: missing column 'child_id'" --linkmap "$E/linkmap_no_child.csv" --truth truth.csv --pairs pairs.csv
refuse 1 "truth.csv:1: missing column 'sex'" --linkmap linkmap.csv --truth truth.csv --pairs pairs.csv --by sex
refuse 1 "truth_dup_column.csv:1: duplicate column name 'person_id'" --linkmap linkmap.csv --truth "$E/truth_dup_column.csv" --pairs pairs.csv
refuse 1 "truth_ragged.csv:3: record has 4 fields but the header has 3" --linkmap linkmap.csv --truth "$E/truth_ragged.csv" --pairs pairs.csv
refuse 1 "truth_empty_person.csv:3: empty person_id" --linkmap linkmap.csv --truth "$E/truth_empty_person.csv" --pairs pairs.csv
refuse 1 "linkmap_bad_prob.csv:3: match_probability '1.5' is not a number in [0,1]" \
    --linkmap "$E/linkmap_bad_prob.csv" --truth truth.csv --pairs pairs.csv
refuse 1 "linkmap_nan_prob.csv:2: match_probability 'nan' is not a number in [0,1]" \
    --linkmap "$E/linkmap_nan_prob.csv" --truth truth.csv --pairs pairs.csv
refuse 1 "linkmap_unbalanced.csv:3: unterminated quoted field" --linkmap "$E/linkmap_unbalanced.csv" --truth truth.csv --pairs pairs.csv
refuse 1 "pairs_bad_prob.csv:3: match_probability '-0.1' is not a number in [0,1]" \
    --linkmap linkmap.csv --truth truth.csv --pairs "$E/pairs_bad_prob.csv"
refuse 1 "pairs_dup.csv:4: pair (source 'school', record_id 'a2') - (source 'hes', record_id 'a1') is listed twice (first on line 2)" \
    --linkmap linkmap.csv --truth truth.csv --pairs "$E/pairs_dup.csv"
refuse 1 "pairs_self.csv:2: record (source 'hes', record_id 'a1') is paired with itself" \
    --linkmap linkmap.csv --truth truth.csv --pairs "$E/pairs_self.csv"
refuse 1 "pairs_no_record_id_b.csv:1: missing column 'record_id_b'" \
    --linkmap linkmap.csv --truth truth.csv --pairs "$E/pairs_no_record_id_b.csv"
refuse 1 "no record is in both the link map (linkmap.csv: 7 records) and the truth" \
    --linkmap linkmap.csv --truth "$E/truth_other_source.csv" --pairs pairs.csv
awk 'BEGIN { print "source,record_id,person_id,la"; for (i = 0; i < 1001; i++) print "s," i ",p,L" i }' > many_values.csv
refuse 4 "many_values.csv:1002: column 'la' has more than 1000 distinct values" \
    --linkmap linkmap.csv --truth many_values.csv --pairs pairs.csv --by la

# An output that cannot be written: fails before reading, leaves nothing
run 3 $EV --linkmap linkmap.csv --truth truth.csv --pairs pairs.csv --sweep s2.csv --out /nonexistent-dir/e.json
has_err "/nonexistent-dir/e.json: cannot create output"
absent s2.csv
if [ -w /dev/full ]; then
    run 3 sh -c "$EV --linkmap linkmap.csv --truth truth.csv > /dev/full"
    has_err "error writing"
fi
