#!/bin/sh
# make-payloads.sh SYNTH_DIR OUT_DIR [SCHEMA_DIR]
# Stand-in for `childlink encode` in the build tests: turns the raw files of
# `childlink synth` into payload files (record_id first, then the content
# columns; every column the source's schema lists under "fields" or
# "identifying" dropped) and writes a link map from truth.csv (person_id as
# child_id).  Like an encoder would, it appends de-identified spine columns:
# sex (the source's code), birth_year and birth_month (from the date of
# birth), ethnic_group and deprivation_decile (via postcodes.csv).
# Synth files hold no quoted fields, so plain awk field splitting is exact.
set -eu
in=$1; out=$2; schemas=${3:-$(dirname "$0")/../../../schemas}
mkdir -p "$out"
for src in hes_apc ecds camhs npd_census npd_absence npd_ks2 npd_ks4 npd_exclusions csc_cin csc_cla; do
    [ -f "$in/$src.csv" ] || continue
    awk -v schema="$schemas/$src.json" -v pc="$in/postcodes.csv" '
    BEGIN {
        FS = ","; OFS = ","
        # "canonical": "Column" or ["A", "B"] lines of "fields", and "identifying".
        while ((getline line < schema) > 0) {
            if (line ~ /"fields"[ ]*:/) { infields = 1; continue }
            if (infields && line ~ /^[ ]*}/) { infields = 0; continue }
            if (infields || line ~ /"identifying"[ ]*:/) {
                key = line; sub(/^[ ]*"/, "", key); sub(/".*/, "", key)
                rest = line; sub(/^[^:]*:/, "", rest)
                while (match(rest, /"[^"]*"/)) {
                    col = substr(rest, RSTART + 1, RLENGTH - 2)
                    rest = substr(rest, RSTART + RLENGTH)
                    if (infields && key == "record_id") idcol = col
                    else drop[col] = 1
                    if (infields && (key == "dob" || key == "sex" || key == "ethnicity" || key == "postcode"))
                        role[key] = col
                }
            }
        }
        while ((getline line < pc) > 0) { split(line, f, ","); decile[f[1]] = f[4] }
    }
    NR == 1 {
        for (i = 1; i <= NF; i++) { name[i] = $i; pos[$i] = i }
        s = "record_id"
        for (i = 1; i <= NF; i++) if ($i != idcol && !($i in drop)) s = s OFS $i
        print s, "sex", "birth_year", "birth_month", "ethnic_group", "deprivation_decile"
        next
    }
    {
        s = $(pos[idcol])
        for (i = 1; i <= NF; i++) if (name[i] != idcol && !(name[i] in drop)) s = s OFS $i
        dob = ("dob" in role) ? $(pos[role["dob"]]) : ""
        y = ""; m = ""
        if (dob ~ /^[0-9][0-9][0-9][0-9]-/) { y = substr(dob, 1, 4); m = substr(dob, 6, 2) }
        else if (dob ~ /\//) { y = substr(dob, 7, 4); m = substr(dob, 4, 2) }
        else if (length(dob) == 8) { y = substr(dob, 1, 4); m = substr(dob, 5, 2) }
        sx = ("sex" in role) ? $(pos[role["sex"]]) : ""
        eth = ("ethnicity" in role) ? $(pos[role["ethnicity"]]) : ""
        p = ("postcode" in role) ? $(pos[role["postcode"]]) : ""
        d = (p in decile) ? decile[p] : ""
        print s, sx, y, m, eth, d
    }' "$in/$src.csv" > "$out/$src.csv"
done
awk -F, 'BEGIN { OFS = "," } NR == 1 { print "source,record_id,child_id,match_probability,link_rule"; next }
         { print $1, $2, "C" $3, "1", "truth" }' "$in/truth.csv" > "$out/linkmap.csv"
