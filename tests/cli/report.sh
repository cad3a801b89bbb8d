# Command tests for `childlink report` (sourced by tests/cli-lib.sh).
# Usage and bad inputs (exit status, message naming the file and line, no
# output left behind); then the whole pipeline on a synthetic population
# built here with the built CLI: synth -> clean -> link -> build -> report
# (payloads by tests/data/build/make-payloads.sh, standing in for encode).
# The report must recover the effects synth planted: the late local
# authorities are exactly the named outliers, the asthma absence rate ratio
# is within 10% of the planted value, and absence and mental-health
# referrals rise at the move to secondary school.  Every published count is
# disclosure-controlled, no child_id leaves the database, the database is
# not modified, and the same database gives the same bytes.
#
# Size: 12,000 children with Down's syndrome at 5% (so that every authority
# has enough children to assess); about 8 s on one core.  The asthma ratio's
# bootstrap interval is about +-7% at this size; at 8,000 children it is
# about +-9%, too close to the 10% the test allows.
RE="$CL report"

# Every count column (n_*) of the CSVs given holds 0, <T, [c] or a multiple
# of BASE from T up, and there are some: check_csv_counts T BASE FILE...
check_csv_counts() {
    t=$1; base=$2; shift 2
    awk -F, -v t="$t" -v base="$base" '
        FNR == 1 { for (i = 1; i <= NF; i++) isn[i] = ($i ~ /^n_/); next }
        { for (i = 1; i <= NF; i++) if (isn[i]) { n++; v = $i
            if (!(v == "0" || v == "<" t || v == "[c]" ||
                  (v ~ /^[0-9]+$/ && v + 0 >= t + 0 && v % base == 0))) { bad++; print FILENAME ": " v } } }
        END { exit !(n > 0 && bad == 0) }' "$@"
}
# The same for the count cells (class="n") of a page.
check_page_counts() {
    grep -o '<td class="n">[^<]*</td>' "$1" | sed 's/<td class="n">//; s/<\/td>//; s/&lt;/</' |
        awk '{ n++; v = $0
               if (!(v == "0" || v == "<10" || v == "[c]" || (v ~ /^[0-9]+$/ && v + 0 >= 10 && v % 5 == 0))) bad++ }
             END { exit !(n > 0 && bad == 0) }'
}

# ---- usage ----
run 0 "$CL" help report
has_out "Usage: childlink report linked.db --out DIR"
for a in coverage known_to critical_points postcode_lottery condition_absence; do
    has_out "  $a"
done
run 0 $RE --help
has_out "--codelist NAME=FILE"
run 2 $RE
has_err "no database given"
has_err "Usage: childlink report"
run 2 $RE x.db
has_err "--out is required"
run 2 $RE x.db y.db --out r
has_err "unexpected argument 'y.db'"
run 2 $RE x.db --out r --bogus
has_err "unknown or incomplete option '--bogus'"
run 2 $RE x.db --out r --codelist asthma
has_err "--codelist needs NAME=FILE, not 'asthma'"
run 2 $RE x.db --out r --threshold 0
has_err "--threshold must be from 1 to 1000000, not '0'"
run 2 $RE x.db --out r --rounding five
has_err "--rounding must be from 1 to 1000000"
absent r

# ---- a small database for the error cases ----
B="$D/build"
run 0 "$CL" build --linkmap "$B/linkmap.csv" --payload hes_apc="$B/hes_apc.csv" \
    --payload npd_census="$B/npd_census.csv" --out small.db
run 2 $RE small.db --out r --only nonsense
has_err "unknown analysis 'nonsense' (one of: coverage, known_to, critical_points, postcode_lottery, condition_absence)"
absent r
run 2 $RE small.db --out r --codelist "bad name=x.csv"
has_err "code list name 'bad name'"
run 3 $RE missing.db --out r
has_err "missing.db: cannot open database: No such file or directory"
absent r
printf 'not a database at all, just some text that is long enough to be read\n' > text.db
run 1 $RE text.db --out r
has_err "text.db: not an SQLite database"
absent r
sqlite3 plain.db 'CREATE TABLE t (x);' 2>/dev/null || cp "$B/linkmap.csv" plain.db
run 1 $RE plain.db --out r
has_err "plain.db: not"
absent r
printf 'code,dataset,field,code_type,description\nG40,hes_apc,diag,icd10,epilepsy\nG4,hes_apc,diag,icd10,typo\n' > badlist.csv
run 1 $RE small.db --out r --codelist epilepsy=badlist.csv
has_err "badlist.csv:3: code 'G4' is not an ICD-10 code"
absent r
run 3 $RE small.db --out r --codelist epilepsy=nolist.csv
has_err "nolist.csv"
absent r
run 3 $RE small.db --out /nonexistent/dir/r
has_err "/nonexistent/dir/r: cannot create output directory"
printf 'x' > afile
run 3 $RE small.db --out afile
has_err "afile: exists and is not a directory"
mkdir ro && chmod 555 ro
if [ "$(id -u)" != 0 ]; then   # root may write anywhere
    run 3 $RE small.db --out ro
    has_err "ro: cannot write to output directory"
fi

# A database with only some sources still gives a report, with notes.
run 0 $RE small.db --out small
holds "small report written" test -s small/report.html
holds "skipped analyses are noted" grep -q 'class="skip">Skipped' small/report.html
# Refusing to overwrite, and --force.
cp small/report.html small.keep
run 3 $RE small.db --out small --only coverage
has_err "small: output directory is not empty (use --force to replace the report)"
same small/report.html small.keep
run 0 $RE small.db --out small --only coverage --force
holds "--force replaced the report" sh -c '! cmp -s small/report.html small.keep'
holds "no temporary files left" sh -c '! ls -a small | grep -q tmp'

# ---- the pipeline on a synthetic population ----
printf '{"prevalence": {"downs_syndrome": 0.05}}\n' > params.json
run 0 "$CL" synth --children 12000 --seed 3 --config params.json --out s
set --
for src in hes_apc ecds camhs npd_census npd_absence npd_ks2 npd_ks4 npd_exclusions csc_cin csc_cla; do
    "$CL" clean "s/$src.csv" --schema "$src" --out "c_$src.csv" > /dev/null 2>&1
    set -- "$@" "$src=c_$src.csv"
done
run 0 "$CL" link "$@" --out linkmap.csv
run 0 sh "$B/make-payloads.sh" s p "$ROOT/schemas"
PAY=""
for src in hes_apc ecds camhs npd_census npd_absence npd_ks2 npd_ks4 npd_exclusions csc_cin csc_cla; do
    PAY="$PAY --payload $src=p/$src.csv"
done
run 0 "$CL" build --linkmap linkmap.csv $PAY --out linked.db
cksum linked.db > db.before
start=$(date +%s)
run 0 env -u CHILDLINK_QUIET "$CL" report linked.db --out rep
end=$(date +%s)
has_err "childlink report: postcode_lottery:"
has_err "childlink report: wrote rep/report.html and 12 tables (5 analyses, 0 skipped)"
holds "report on 12,000 children takes a few seconds at most" test $((end - start)) -le 5
cksum linked.db > db.after
same db.before db.after
for f in report.html coverage.csv coverage_match_probability.csv coverage_by_subgroup.csv \
         known_to.csv critical_points.csv critical_points_transition.csv lottery_km.csv \
         lottery_medians.csv lottery_funnel.csv lottery_funnel_limits.csv \
         condition_asthma_summary.csv condition_asthma_by_year.csv; do
    holds "rep/$f written" test -s "rep/$f"
done

# Planted effect 1: the late authorities (areas.csv late_sen_la) are exactly
# the named outliers of the funnel plot.
awk -F, 'NR > 1 && $12 == 1 { print $4 }' s/areas.csv | sort -u > late.txt
awk -F, 'NR > 1 && $10 == "yes" { print $1 }' rep/lottery_funnel.csv | sort -u > named.txt
holds "three late authorities planted" test "$(wc -l < late.txt)" -eq 3
same late.txt named.txt
holds "the page names them" grep -q "below the lower 99.8% limit): LA $(sed -n 1p late.txt), LA $(sed -n 2p late.txt), LA $(sed -n 3p late.txt)</p>" rep/report.html
holds "late authorities' median school year at first EHC plan is later" awk -F, '
    FNR == NR { late[$1] = 1; next }
    FNR > 1 && $1 != "all authorities" && $4 != "" { if ($1 in late) l += $4; else o += $4; if ($1 in late) nl++; else no++ }
    END { exit !(nl == 3 && no > 0 && l / nl >= o / no + 2) }' late.txt rep/lottery_medians.csv

# Planted effect 2: the asthma absence rate ratio within 10% of the planted one.
planted=$(sed -n 's/.*"asthma_absence_rate_ratio": *\([0-9.]*\).*/\1/p' s/params.json)
got=$(awk -F, '$1 == "mantel_haenszel" && $2 == "bootstrap over children" { print $3 }' rep/condition_asthma_summary.csv)
holds "asthma ratio $got within 10% of planted $planted" awk -v g="$got" -v p="$planted" \
    'BEGIN { exit !(p > 0 && g >= 0.9 * p && g <= 1.1 * p) }'
holds "its interval covers the planted value" awk -F, -v p="$planted" \
    '$2 == "bootstrap over children" { ok = ($4 <= p && p <= $5) } END { exit !ok }' rep/condition_asthma_summary.csv

# Planted effect 3: the rise at the move to secondary school.
planted_abs=$(sed -n 's/.*"secondary_absence_rate_ratio": *\([0-9.]*\).*/\1/p' s/params.json)
holds "absence year 7 / year 6 near the planted $planted_abs" awk -F, -v p="$planted_abs" \
    '$1 == "absence_pct" { ok = ($4 >= 0.9 * p && $4 <= 1.1 * p) } END { exit !ok }' rep/critical_points_transition.csv
holds "mental-health referrals rise at year 7 (ratio over 1.5)" awk -F, \
    '$1 == "referrals_per_1000" { ok = ($4 > 1.5 && $5 > 1.5) } END { exit !ok }' rep/critical_points_transition.csv

# Disclosure control: every count column (n_*) of every CSV holds 0, <10, [c]
# or a multiple of 5 from 10 up; no cell anywhere is a bare 1-9 count.
holds "no count between 1 and 9 in any CSV" check_csv_counts 10 5 rep/*.csv
holds "no count between 1 and 9 in the page's tables" check_page_counts rep/report.html
# The check can fail: a planted bare count is caught.
cp rep/known_to.csv leak.csv && printf 'no,no,no,no,7\n' >> leak.csv
if check_csv_counts 10 5 leak.csv > /dev/null; then bad "check_csv_counts missed a planted 7"; else ok; fi

# No child_id (the link map's pseudonyms) appears in any output.
cut -d, -f3 linkmap.csv | tail -n +2 | sort -u > ids.txt
holds "child ids to look for" test "$(wc -l < ids.txt)" -gt 10000
holds "no child_id in the report or its tables" sh -c '! cat rep/* | grep -F -q -f ids.txt'
head -n 1 ids.txt > leak_id.txt
holds "the id check finds a planted id" sh -c "cat leak_id.txt rep/known_to.csv | grep -F -q -f leak_id.txt"

# Deterministic: the same database gives the same bytes.
run 0 $RE linked.db --out rep2
for f in rep/*; do same "$f" "rep2/$(basename "$f")"; done

# One analysis at a time, and a condition defined by a code list.
run 0 $RE linked.db --out only --only known_to
holds "--only writes only its tables" test "$(ls only | tr '\n' ' ')" = "known_to.csv report.html "
printf 'code,dataset,field,code_type,description,flag\nG40,hes_apc,diag,icd10,epilepsy,\nG41,hes_apc,diag,icd10,status epilepticus,\n' > epilepsy.csv
run 0 $RE linked.db --out cond --only condition_absence --codelist epilepsy=epilepsy.csv \
    --codelist asthma="$S/code-lists/asthma_lut_v1.csv"
holds "added condition analysed" test -s cond/condition_epilepsy_summary.csv
same cond/condition_asthma_summary.csv rep/condition_asthma_summary.csv
# The published ECHILD lists load unchanged (one of them is not UTF-8).
for l in chc_hardelid_v1 ccc_feudtner_v1 neurodis_zylb_v1; do
    run 0 $RE linked.db --out "list_$l" --only condition_absence --codelist "$l=$S/code-lists/$l.csv"
    holds "$l analysed" test -s "list_$l/condition_${l}_summary.csv"
done
# A stricter threshold applies everywhere.
run 0 $RE linked.db --out strict --threshold 20 --rounding 10
holds "threshold 20: no count under 20, all multiples of 10" check_csv_counts 20 10 strict/*.csv
