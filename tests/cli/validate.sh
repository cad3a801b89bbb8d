# Command tests for `childlink validate` (sourced by tests/cli-lib.sh).
TAB=$(printf '\t')

# --- NHS number -------------------------------------------------------------
run 0 "$CL" validate --type nhs_number 9434765919 "943 476 5919" 943-476-5919
has_out "9434765919${TAB}valid${TAB}9434765919"
has_out "943 476 5919${TAB}valid${TAB}9434765919"
has_out "943-476-5919${TAB}valid${TAB}9434765919"
run 1 "$CL" validate --type nhs_number 9434765918 1234567890 1111111111 9990000018 94347659 94347659x9 ""
has_out "9434765918${TAB}invalid${TAB}bad_check_digit"
has_out "1234567890${TAB}invalid${TAB}check_digit_10"
has_out "1111111111${TAB}invalid${TAB}all_same_digit"
has_out "9990000018${TAB}invalid${TAB}test_range"
has_out "94347659${TAB}invalid${TAB}wrong_length"
has_out "94347659x9${TAB}invalid${TAB}non_digit"
has_out "${TAB}invalid${TAB}missing"

# The example in the manual, exactly.
run 1 "$CL" validate --type nhs_number '943 476 5919' 9434765918
printf '943 476 5919\tvalid\t9434765919\n9434765918\tinvalid\tbad_check_digit\n' >"$T/want"
same "$OUT" "$T/want"

# --- UPN ----------------------------------------------------------------------
run 0 "$CL" validate --type upn B801200005001 b801200005001 P207000016049
has_out "B801200005001${TAB}valid${TAB}B801200005001"
has_out "b801200005001${TAB}valid${TAB}B801200005001"
lacks_out "temporary"
run 0 "$CL" validate --type upn M80120000500A
has_out "M80120000500A${TAB}valid${TAB}M80120000500A (temporary)"
run 1 "$CL" validate --type upn A801200005001 I801200005001 B80120000500
has_out "A801200005001${TAB}invalid${TAB}bad_check_letter"
has_out "I801200005001${TAB}invalid${TAB}bad_character"
has_out "B80120000500${TAB}invalid${TAB}wrong_length"
lacks_out "temporary"

# --- postcode -----------------------------------------------------------------
run 0 "$CL" validate --type postcode sw1a1aa " SW1A  1AA " "gir 0aa" M11AE
has_out "sw1a1aa${TAB}valid${TAB}SW1A 1AA"
has_out " SW1A  1AA ${TAB}valid${TAB}SW1A 1AA"
has_out "gir 0aa${TAB}valid${TAB}GIR 0AA"
has_out "M11AE${TAB}valid${TAB}M1 1AE"
run 1 "$CL" validate --type postcode "QW1A 1AA" "SW1A 1CA" SW1 "W1L 1AA"
has_out "QW1A 1AA${TAB}invalid${TAB}bad_format"
has_out "SW1A 1CA${TAB}invalid${TAB}bad_format"
has_out "SW1${TAB}invalid${TAB}wrong_length"
has_out "W1L 1AA${TAB}invalid${TAB}bad_format"

# --- date of birth --------------------------------------------------------------
run 0 "$CL" validate --type dob --today 2024-06-01 2010-03-04 04/03/2010 20100304 29/02/2000
has_out "2010-03-04${TAB}valid${TAB}2010-03-04"
has_out "04/03/2010${TAB}valid${TAB}2010-03-04"
has_out "20100304${TAB}valid${TAB}2010-03-04"
has_out "29/02/2000${TAB}valid${TAB}2000-02-29"
run 1 "$CL" validate --type dob --today 2024-06-01 31/02/2010 29/02/1900 2010-13-01 2024-06-02 1850-01-01 04/03/10 March
has_out "31/02/2010${TAB}invalid${TAB}impossible_date"
has_out "29/02/1900${TAB}invalid${TAB}impossible_date"
has_out "2010-13-01${TAB}invalid${TAB}impossible_date"
has_out "2024-06-02${TAB}invalid${TAB}future_date"
has_out "1850-01-01${TAB}invalid${TAB}too_old"
has_out "04/03/10${TAB}invalid${TAB}two_digit_year"
has_out "March${TAB}invalid${TAB}bad_format"
run 0 "$CL" validate --type dob --pivot-year 2024 04/03/10 04/03/30
has_out "04/03/10${TAB}valid${TAB}2010-03-04"
has_out "04/03/30${TAB}valid${TAB}1930-03-04"
run 0 "$CL" validate --type dob --date-format mdy 03/04/2010
has_out "03/04/2010${TAB}valid${TAB}2010-03-04"
run 1 "$CL" validate --type dob --date-format iso 04/03/2010
has_out "04/03/2010${TAB}invalid${TAB}bad_format"
run 0 "$CL" validate -t dob -f yyyymmdd 20100304
has_out "20100304${TAB}valid${TAB}2010-03-04"

# --- sex --------------------------------------------------------------------------
run 0 "$CL" validate --type sex 1 2 9 0 X M f Girl "not known" Indeterminate
has_out "1${TAB}valid${TAB}M"
has_out "2${TAB}valid${TAB}F"
has_out "9${TAB}valid${TAB}I"
has_out "0${TAB}valid${TAB}U"
has_out "X${TAB}valid${TAB}U"
has_out "f${TAB}valid${TAB}F"
has_out "Girl${TAB}valid${TAB}F"
has_out "not known${TAB}valid${TAB}U"
has_out "Indeterminate${TAB}valid${TAB}I"
run 1 "$CL" validate --type sex 3 other ""
has_out "3${TAB}invalid${TAB}unknown_code"
has_out "other${TAB}invalid${TAB}unknown_code"
has_out "${TAB}invalid${TAB}missing"

# --- standard input -----------------------------------------------------------------
printf '9434765919\r\n943 476 5918\n\n4010232137' >"$T/nhs.txt"
runin 1 "$T/nhs.txt" "$CL" validate --type nhs_number
printf '9434765919\tvalid\t9434765919\n943 476 5918\tinvalid\tbad_check_digit\n\tinvalid\tmissing\n4010232137\tvalid\t4010232137\n' >"$T/want"
same "$OUT" "$T/want"
printf 'M\r\nF\r\n' >"$T/sex.txt"
runin 0 "$T/sex.txt" "$CL" validate --type sex
printf 'M\tvalid\tM\nF\tvalid\tF\n' >"$T/want"
same "$OUT" "$T/want"
# No input: nothing to report, nothing invalid.
run 0 "$CL" validate --type postcode
holds "empty input gives empty output" test ! -s "$OUT"
# Control bytes in a value are escaped so the columns stay put.
printf 'M\tF\nx\001y\n' >"$T/ctl.txt"
runin 1 "$T/ctl.txt" "$CL" validate --type sex
has_out "M\\tF${TAB}invalid${TAB}unknown_code"
has_out "x\\x01y${TAB}invalid${TAB}unknown_code"
# NUL bytes do not end a value early.
printf 'M\000\n' >"$T/nul.txt"
runin 1 "$T/nul.txt" "$CL" validate --type sex
has_out "M\\x00${TAB}invalid${TAB}unknown_code"
# A very long line is reported, echoed whole, and the next lines still read.
awk 'BEGIN { s = "9"; for (i = 0; i < 20; i++) s = s s; print s; print "9434765919" }' >"$T/long.txt"
runin 1 "$T/long.txt" "$CL" validate --type nhs_number
has_out "${TAB}invalid${TAB}too_long"
has_out "9434765919${TAB}valid${TAB}9434765919"
holds "long line echoed whole" sh -c "head -n 1 '$OUT' | cut -f 1 | awk '{ exit !(length(\$0) == 1048576) }'"
# 4096 bytes is the longest value (even with CRLF); 4097 is too long.
awk 'BEGIN { s = ""; for (i = 0; i < 4095; i++) s = s " "; printf "%sF\r\n%s M\n%s%s%s\r\n", s, s, s, s, "  " }' >"$T/edge.txt"
runin 1 "$T/edge.txt" "$CL" validate --type sex
holds "three lines out" sh -c "test \$(wc -l <'$OUT') -eq 3"
holds "4096-byte line is a value" sh -c "sed -n 1p '$OUT' | grep -qx ' *F${TAB}valid${TAB}F'"
holds "4097-byte line is too_long" sh -c "sed -n 2p '$OUT' | grep -qx ' *M${TAB}invalid${TAB}too_long'"
holds "CR dropped after a long line" sh -c "sed -n 3p '$OUT' | grep -qx ' *${TAB}invalid${TAB}too_long'"

# --- bad usage, help, write errors --------------------------------------------------
run 2 "$CL" validate 9434765919
has_err "--type is required"
has_err "Usage: childlink validate"
run 2 "$CL" validate --type passport 123
has_err "unknown type 'passport'"
run 2 "$CL" validate --type
has_err "needs a value"
run 2 "$CL" validate --type sex --colour blue M
has_err "unknown option '--colour'"
run 2 "$CL" validate --type sex -z M
has_err "unknown option '-z'"
run 2 "$CL" validate --type dob --date-format ymd 2010-03-04
has_err "unknown date format 'ymd'"
run 2 "$CL" validate --type dob --pivot-year 24 04/03/10
has_err "--pivot-year"
run 2 "$CL" validate --type dob --today yesterday 2010-03-04
has_err "--today"
run 0 "$CL" help validate
has_out "Usage: childlink validate --type TYPE"
has_out "Exit status:"
cp "$OUT" "$T/help.txt"
run 0 "$CL" validate --help
same "$OUT" "$T/help.txt"
holds "write error exits 3" sh -c "'$CL' validate --type sex M >/dev/full 2>/dev/null; test \$? -eq 3"
holds "write error on stdin mode exits 3" sh -c "printf 'M\nF\n' | '$CL' validate --type sex >/dev/full 2>/dev/null; test \$? -eq 3"
