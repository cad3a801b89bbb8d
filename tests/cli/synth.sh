# Command tests for `childlink synth` (sourced by tests/cli-lib.sh).

# --- a small population -----------------------------------------------------
run 0 "$CL" synth --out "$T/p1" --children 300 --seed 5
for f in hes_apc ecds camhs npd_census npd_absence npd_ks2 npd_ks4 npd_exclusions \
         csc_cin csc_cla truth people areas postcodes schools error_summary; do
    holds "$f.csv written" test -s "$T/p1/$f.csv"
done
holds "params.json written" test -s "$T/p1/params.json"
holds "no temporary files left" sh -c '! ls -a "$1" | grep -q "\.tmp\."' sh "$T/p1"
holds "truth header" sh -c 'head -n 1 "$1" | grep -q "^source,record_id,person_id,family_id,ethnic_group,deprivation_decile,sex,birth_year,la,"' sh "$T/p1/truth.csv"
holds "the school census has no NHS number" sh -c '! head -n 1 "$1" | grep -qi nhs' sh "$T/p1/npd_census.csv"
holds "hospital data has an NHS number" sh -c 'head -n 1 "$1" | grep -q NEWNHSNO' sh "$T/p1/hes_apc.csv"
holds "one truth row per source row" sh -c '
    t=$(($(wc -l < "$1/truth.csv") - 1)); s=0
    for f in hes_apc ecds camhs npd_census npd_absence npd_ks2 npd_ks4 npd_exclusions csc_cin csc_cla; do
        s=$((s + $(wc -l < "$1/$f.csv") - 1)); done
    test "$t" -eq "$s"' sh "$T/p1"
holds "300 children in people.csv" test "$(($(wc -l < "$T/p1/people.csv") - 1))" -eq 300

# Same seed, same bytes; params.json reruns the population.
run 0 "$CL" synth --out "$T/p2" --children 300 --seed 5
same "$T/p1/truth.csv" "$T/p2/truth.csv"
same "$T/p1/hes_apc.csv" "$T/p2/hes_apc.csv"
same "$T/p1/npd_census.csv" "$T/p2/npd_census.csv"
run 0 "$CL" synth --out "$T/p3" --config "$T/p1/params.json"
same "$T/p1/truth.csv" "$T/p3/truth.csv"
same "$T/p1/params.json" "$T/p3/params.json"
# Options on the command line override the config file.
run 0 "$CL" synth --out "$T/p4" --config "$T/p1/params.json" --children 50
holds "--children overrides the config" test "$(($(wc -l < "$T/p4/people.csv") - 1))" -eq 50
run 0 "$CL" synth --out "$T/p5" --children 300 --seed 6
holds "another seed, another population" sh -c '! cmp -s "$1" "$2"' sh "$T/p1/truth.csv" "$T/p5/truth.csv"

# --- the output directory ---------------------------------------------------
run 3 "$CL" synth --out "$T/p1" --children 300 --seed 5
has_err "not empty"
has_err "--force"
run 0 "$CL" synth --out "$T/p1" --children 300 --seed 5 --force
same "$T/p1/truth.csv" "$T/p2/truth.csv"
printf 'x\n' > "$T/afile"
run 3 "$CL" synth --out "$T/afile/sub" --children 10
has_err "afile"
run 3 "$CL" synth --out "$T/afile" --children 10
has_err "not a directory"

# --- perfect identifiers ----------------------------------------------------
run 0 "$CL" synth --out "$T/perfect" --children 200 --error-scale 0
holds "no errors at error scale 0" sh -c 'test "$(cut -d, -f12 "$1" | sed 1d | grep -c .)" -eq 0' sh "$T/perfect/truth.csv"
run 0 "$CL" synth --out "$T/noisy" --children 200 --error-scale 3
holds "errors at error scale 3" sh -c 'test "$(cut -d, -f12 "$1" | sed 1d | grep -c .)" -gt 0' sh "$T/noisy/truth.csv"

# --- bad options ------------------------------------------------------------
run 2 "$CL" synth --children 10
has_err "--out DIR is required"
has_err "Usage: childlink synth"
run 2 "$CL" synth --out "$T/x" --children -5
has_err "--children must be a whole number"
run 2 "$CL" synth --out "$T/x" --children 0
run 2 "$CL" synth --out "$T/x" --children many
run 2 "$CL" synth --out "$T/x" --error-scale -1
has_err "--error-scale must be a number from 0 to 100"
run 2 "$CL" synth --out "$T/x" --error-scale 101
run 2 "$CL" synth --out "$T/x" --error-scale 1e999
run 2 "$CL" synth --out "$T/x" --areas 0
has_err "--areas"
run 2 "$CL" synth --out "$T/x" --areas 501
run 2 "$CL" synth --out "$T/x" --first-year 2020 --last-year 2010
has_err "after --last-year"
run 2 "$CL" synth --out "$T/x" --seed -1
has_err "--seed"
run 2 "$CL" synth --out "$T/x" --frobnicate
has_err "unknown option"
run 2 "$CL" synth --out "$T/x" extra-argument
has_err "unexpected argument"
run 2 "$CL" synth --out
has_err "needs a value"
absent "$T/x"

# --- config files -----------------------------------------------------------
printf '{"errors": {"hes_apc": {"nhs_missing": 2}}}' > "$T/rate.json"
run 2 "$CL" synth --out "$T/x" --config "$T/rate.json"
has_err "errors.hes_apc.nhs_missing is out of range"
printf '{"errors": {"npd_census": {"nhs_missing": 0.1}}}' > "$T/npd.json"
run 2 "$CL" synth --out "$T/x" --config "$T/npd.json"
has_err "does not apply to npd_census"
printf '{"populations": {}}' > "$T/section.json"
run 2 "$CL" synth --out "$T/x" --config "$T/section.json"
has_err "unknown parameter section \"populations\""
printf '{"children": 5,' > "$T/broken.json"
run 1 "$CL" synth --out "$T/x" --config "$T/broken.json"
has_err "not valid JSON"
run 3 "$CL" synth --out "$T/x" --config "$T/missing.json"
has_err "missing.json"
absent "$T/x"
printf '{"effects": {"asthma_absence_rate_ratio": 2.5, "late_sen_las": ["E06900001"]}}' > "$T/effects.json"
run 0 "$CL" synth --out "$T/effects" --children 100 --config "$T/effects.json"
holds "effect size recorded" grep -q '"asthma_absence_rate_ratio": 2.5,' "$T/effects/params.json"
holds "late authorities recorded" grep -q '"late_sen_las": \["E06900001"\]' "$T/effects/params.json"

# --- help -------------------------------------------------------------------
run 0 "$CL" synth --help
has_out "Usage: childlink synth --out DIR"
run 0 "$CL" help synth
has_out "--error-scale"
