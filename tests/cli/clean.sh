# Command tests for `childlink clean` (sourced by tests/cli-lib.sh).
C="$D/clean"

# Help and usage
run 0 "$CL" help clean
has_out "Usage: childlink clean"
run 2 "$CL" clean
has_err "give exactly one input file"
run 2 "$CL" clean "$C/good.csv"
has_err "--out is required"
run 2 "$CL" clean "$C/good.csv" --out o.csv --bogus
has_err "unknown or incomplete option"
run 2 "$CL" clean "$C/good.csv" --schema no_such_schema --out o.csv
has_err "unknown schema 'no_such_schema'"
absent o.csv

# A generic file: every identifier standardised, validity per field, summary
run 0 "$CL" clean "$C/good.csv" --out good.out.csv
same good.out.csv "$C/good.expected.csv"
has_out "5 records kept, 0 rejected"
has_out "nhs_number"
has_out "bad_check_digit 1"
has_out "impossible_date 1"

# A source schema: renamed columns, two surname columns gathered, sex codes,
# day-first dates
run 0 "$CL" clean "$C/hes.csv" --schema "$C/schema_hes.json" --out hes.out.csv
same hes.out.csv "$C/hes.expected.csv"
lacks_out "High St"

# Encodings and line ends that are fine
run 0 "$CL" clean "$C/crlf_bom.csv" --out crlf.out.csv
holds "BOM and CRLF handled" grep -q '^x1,,,,,smith,' crlf.out.csv

# Bad input: a clear message naming file and line, non-zero exit, no output
run 1 "$CL" clean "$C/unbalanced.csv" --out bad.csv
has_err "unbalanced.csv:2: unterminated quoted field 2"
absent bad.csv
run 1 "$CL" clean "$C/ragged.csv" --out bad.csv
has_err "ragged.csv:3: record has 3 fields but the header has 2"
absent bad.csv
run 1 "$CL" clean "$C/latin1.csv" --out bad.csv
has_err "latin1.csv:2: field 2 is not valid UTF-8"
absent bad.csv
run 1 "$CL" clean "$C/empty.csv" --out bad.csv
has_err "empty.csv: file is empty"
absent bad.csv
run 1 "$CL" clean "$C/header_only.csv" --out bad.csv
has_err "header but no records"
absent bad.csv
run 1 "$CL" clean "$C/dup_columns.csv" --out bad.csv
has_err "dup_columns.csv:1: duplicate column name 'surname'"
absent bad.csv
run 1 "$CL" clean "$C/dup_ids.csv" --out bad.csv
has_err "dup_ids.csv:3: duplicate record id 'x1' (first on line 2)"
absent bad.csv
run 1 "$CL" clean "$C/empty_id.csv" --out bad.csv
has_err "empty_id.csv:3: record has no record id"
run 1 "$CL" clean "$C/no_record_id.csv" --out bad.csv
has_err "missing column 'record_id'"
absent bad.csv
run 1 "$CL" clean "$C/hes.csv" --out bad.csv
has_err "missing column 'record_id'"
run 3 "$CL" clean /nonexistent/in.csv --out bad.csv
has_err "/nonexistent/in.csv: cannot open"
run 3 "$CL" clean "$C/good.csv" --out /nonexistent-dir/out.csv
has_err "cannot create output"

# A 1 MB field is refused with the limit named, not read into memory
{ printf 'record_id,surname\nx1,'; head -c 1048576 /dev/zero | tr '\0' a; printf '\n'; } > huge.csv
run 4 "$CL" clean huge.csv --out bad.csv
has_err "huge.csv:2: field 2 is longer than the limit of 65536 bytes"
absent bad.csv

# With --rejects, records that cannot be kept are counted and written there
run 0 "$CL" clean "$C/ragged.csv" --out ok.csv --rejects rej.csv
has_out "2 records kept, 1 rejected"
holds "reject names its line" grep -q '^3,record has 3 fields but the header has 2,x2,Jones,extra$' rej.csv
run 0 "$CL" clean "$C/dup_ids.csv" --out ok2.csv --rejects rej2.csv
holds "duplicate id rejected" grep -q '^3,duplicate record id' rej2.csv

# Every input record is kept or rejected
run 0 "$CL" clean "$C/ragged.csv" --out ok3.csv --rejects rej3.csv
holds "no record lost" test "$(( $(wc -l < ok3.csv) - 1 + $(wc -l < rej3.csv) - 1 ))" -eq 3
