# Command tests for `childlink build` (sourced by tests/cli-lib.sh).
# A full build on a 500-child synthetic population (payloads and link map
# derived from the raw files by tests/data/build/make-payloads.sh, standing in
# for `childlink encode` and `childlink link`), checked through --summary
# against the input files; overwrite rules, atomicity, determinism, bad
# inputs, and that no identifier of the synthetic people reaches the file.
B="$D/build"
BU="$CL build"
TAB=$(printf '\t')

# Help and usage
run 0 "$CL" help build
has_out "Usage: childlink build --linkmap"
run 0 $BU --help
has_out "--payload NAME=FILE"
run 2 $BU
has_err "--linkmap and --out are required"
has_err "Usage: childlink build"
run 2 $BU --linkmap "$B/linkmap.csv"
has_err "--linkmap and --out are required"
run 2 $BU --linkmap "$B/linkmap.csv" --out x.db --payload hes_apc
has_err "--payload needs NAME=FILE, not 'hes_apc'"
run 2 $BU --linkmap "$B/linkmap.csv" --out x.db --payload =f.csv
has_err "--payload needs NAME=FILE"
run 2 $BU --linkmap "$B/linkmap.csv" --out x.db --payload a=1.csv --payload a=2.csv
has_err "source 'a' given twice"
run 2 $BU --linkmap "$B/linkmap.csv" --out x.db --bogus
has_err "unknown or incomplete option '--bogus'"
run 2 $BU --linkmap "$B/linkmap.csv" --out x.db extra
has_err "unexpected argument 'extra'"
run 2 $BU --linkmap "$B/linkmap.csv" --out "$B/linkmap.csv"
has_err "is also an input"
absent x.db

# The small fixture: summary, unmatched row reported, clear-text key fallback
run 0 $BU --linkmap "$B/linkmap.csv" --payload hes_apc="$B/hes_apc.csv" \
    --payload npd_census="$B/npd_census.csv" --out small.db --summary
has_out "table${TAB}source${TAB}rows${TAB}unmatched"
has_out "child${TAB}${TAB}3${TAB}0"
has_out "source_record${TAB}${TAB}7${TAB}0"
has_out "hes_apc${TAB}hes_apc${TAB}4${TAB}1"
has_out "npd_census${TAB}npd_census${TAB}4${TAB}0"
has_err "1 payload rows have no record in the link map"
holds "small.db is an SQLite file" sh -c 'head -c 15 small.db | grep -q "SQLite format 3"'

# Exists: refused without --force (exit 3, file untouched), replaced with it
cp small.db small.keep
run 3 $BU --linkmap "$B/linkmap.csv" --payload hes_apc="$B/hes_apc.csv" --out small.db
has_err "small.db: output exists (use --force to replace it)"
same small.db small.keep
run 0 $BU --linkmap "$B/linkmap.csv" --payload hes_apc="$B/hes_apc.csv" --out small.db --force --summary
has_out "hes_apc${TAB}hes_apc${TAB}4${TAB}1"
lacks_out "npd_census"

# Bad inputs: named file and line, exit status, and no database left behind
run 1 $BU --linkmap "$B/linkmap_dup.csv" --payload hes_apc="$B/hes_apc.csv" --out bad.db
has_err "linkmap_dup.csv:4: duplicate record h1 in source hes_apc"
absent bad.db
run 1 $BU --linkmap "$B/linkmap_ragged.csv" --out bad.db
has_err "linkmap_ragged.csv:2: 4 fields, header has 3"
run 1 $BU --linkmap "$B/linkmap_badprob.csv" --out bad.db
has_err "match_probability 'high' is not a number"
run 1 $BU --linkmap "$B/linkmap_nochild.csv" --out bad.db
has_err "link map header needs source, record_id and child_id"
run 3 $BU --linkmap nothere.csv --out bad.db
has_err "nothere.csv"
run 3 $BU --linkmap "$B/linkmap.csv" --payload hes_apc=nothere.csv --out bad.db
has_err "nothere.csv"
run 1 $BU --linkmap "$B/linkmap.csv" --payload hes_apc="$B/payload_dob.csv" --out bad.db
has_err "payload_dob.csv:1: column DOB looks like a personal identifier"
run 1 $BU --linkmap "$B/linkmap.csv" --payload hes_apc="$B/payload_name.csv" --out bad.db
has_err "column Surname looks like a personal identifier"
run 1 $BU --linkmap "$B/linkmap.csv" --payload hes_apc="$B/payload_ragged.csv" --out bad.db
has_err "payload_ragged.csv:3: 2 fields, header has 3"
run 1 $BU --linkmap "$B/linkmap.csv" --payload hes_apc="$B/payload_nokey.csv" --out bad.db
has_err "payload_nokey.csv:1: no key column record_token (or record_id)"
run 1 $BU --linkmap "$B/linkmap.csv" --payload hes_apc="$B/hes_apc.csv" --key-column token --out bad.db
has_err "no key column token"
run 1 $BU --linkmap "$B/linkmap.csv" --payload hes_apc="$B/payload_badquote.csv" --out bad.db
has_err "payload_badquote.csv:2:"
run 1 $BU --linkmap "$B/linkmap.csv" --payload csc_cla="$B/hes_apc.csv" --out bad.db
has_err "source csc_cla does not appear in the link map"
# Atomicity: a failure in the last payload, after tables were written, and a
# failed --force rebuild that must leave the old database in place.
run 1 $BU --linkmap "$B/linkmap.csv" --payload hes_apc="$B/hes_apc.csv" \
    --payload npd_census="$B/payload_dob.csv" --out bad.db
absent bad.db
holds "no temporary files left" sh -c '! ls -a | grep -q "tmp"'
cp small.db small.before
run 1 $BU --linkmap "$B/linkmap.csv" --payload hes_apc="$B/payload_ragged.csv" --out small.db --force
same small.db small.before
holds "still no temporary files" sh -c '! ls -a | grep -q "tmp"'

# A full build on a synthetic population
run 0 "$CL" synth --children 500 --seed 7 --out s
run 0 sh "$B/make-payloads.sh" s p "$ROOT/schemas"
PAY=""
for src in hes_apc ecds camhs npd_census npd_absence npd_ks2 npd_ks4 npd_exclusions csc_cin csc_cla; do
    PAY="$PAY --payload $src=p/$src.csv"
done
run 0 $BU --linkmap p/linkmap.csv $PAY --out full.db --summary
cp "$OUT" summary.txt
children=$(awk -F, 'NR > 1 { print $2 }' s/people.csv | sort -u | wc -l)
holds "one child per person with a record" sh -c \
    "awk -F'\t' '\$1 == \"child\" { print \$3 }' summary.txt | grep -qx \"\$(awk -F, 'NR > 1 { print \$3 }' s/truth.csv | sort -u | wc -l)\""
holds "source_record has every truth row" sh -c \
    "awk -F'\t' '\$1 == \"source_record\" { print \$3 }' summary.txt | grep -qx \"\$(awk 'NR > 1' s/truth.csv | wc -l)\""
for src in hes_apc ecds camhs npd_census npd_absence npd_ks2 npd_ks4 npd_exclusions csc_cin csc_cla; do
    holds "$src: every payload row loaded, none unmatched" sh -c \
        "awk -F'\t' '\$1 == \"$src\" { print \$3 \" \" \$4 }' summary.txt | grep -qx \"\$(awk 'NR > 1' p/$src.csv | wc -l) 0\""
done
holds "at most 500 children" test "$children" -le 500

# Determinism: the same inputs give a byte-identical file
run 0 $BU --linkmap p/linkmap.csv $PAY --out again.db
same full.db again.db

# No identifier of the synthetic people reaches the database: names (5+
# letters, both spellings), postcodes, and dates of birth as the sources write
# them (dd/mm/yyyy, yyyymmdd).  ISO dates of birth are not searched: a birth
# admission legitimately happens on the day of birth.
awk -F, 'NR > 1 && NR <= 201 {
    if (length($6) >= 5) { print $6; print toupper($6) }
    if (length($10) >= 5) { print $10; print toupper($10) }
    split($11, d, "-"); print d[3] "/" d[2] "/" d[1]; print d[1] d[2] d[3]
}' s/people.csv | sort -u > ident.txt
awk -F, 'NR > 1 && NR <= 201 { print $1 }' s/postcodes.csv >> ident.txt
holds "identifier sample is not empty" test "$(wc -l < ident.txt)" -gt 300
holds "no name, dob or postcode in the database" sh -c '! grep -a -F -q -f ident.txt full.db'
# The check can fail: a database with a name in it is caught.
printf 'record_token,ADMIDATE,note\nh1,2012-03-04,%s\n' "$(grep -m 1 '^[A-Za-z]' ident.txt)" > leak.csv
run 0 $BU --linkmap "$B/linkmap.csv" --payload hes_apc=leak.csv --out leak.db
holds "the leak check finds a planted name" grep -a -F -q -f ident.txt leak.db
