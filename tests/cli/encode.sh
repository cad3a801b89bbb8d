# Command tests for `childlink keygen` and `childlink encode` (sourced by tests/cli-lib.sh).
E="$D/encode"

# Help and usage
run 0 "$CL" help keygen
has_out "Usage: childlink keygen"
run 0 "$CL" help encode
has_out "Usage: childlink encode"
run 2 "$CL" keygen
has_err "--out is required"
run 2 "$CL" encode "$E/good.csv" --ids i.csv --payload p.csv
has_err "--key is required"
run 2 "$CL" encode "$E/good.csv" --key k --ids i.csv
has_err "--ids and --payload are required"
run 2 "$CL" encode "$E/good.csv" --key k --ids i.csv --payload p.csv --bloom-bits 100
has_err "multiple of 64"

# keygen: mode 0600, never overwrites
run 0 "$CL" keygen --out a.key
has_out "key_id "
holds "key is mode 0600" sh -c 'ls -l a.key | grep -q "^-rw-------"'
holds "key file format" grep -Eq '^childlink-key/1 [0-9a-f]{8} [0-9a-f]{64}$' a.key
cp a.key a.copy
run 3 "$CL" keygen --out a.key
has_err "already exists"
same a.key a.copy
run 0 "$CL" keygen --out b.key
holds "two keys differ" sh -c '! cmp -s a.key b.key'
KEYHEX=$(cut -d' ' -f3 a.key)

# Bad key files: missing, world-readable, short, wrong format
run 3 "$CL" encode "$E/good.csv" --key none.key --ids i.csv --payload p.csv
has_err "cannot open key file"
cp a.key open.key; chmod 644 open.key
run 1 "$CL" encode "$E/good.csv" --key open.key --ids i.csv --payload p.csv
has_err "readable or writable by other users"
head -c 40 a.key > short.key; chmod 600 short.key
run 1 "$CL" encode "$E/good.csv" --key short.key --ids i.csv --payload p.csv
has_err "malformed key file"
printf 'secret\n' > wrong.key; chmod 600 wrong.key
run 1 "$CL" encode "$E/good.csv" --key wrong.key --ids i.csv --payload p.csv
has_err "not a childlink key file"
absent i.csv
absent p.csv

# Bad schema and bad CSV: clear message, no outputs
run 2 "$CL" encode "$E/good.csv" --schema no_such_schema --key a.key --ids i.csv --payload p.csv
has_err "unknown schema 'no_such_schema'"
run 1 "$CL" encode "$E/leaky.csv" --key a.key --ids i.csv --payload p.csv
has_err "column 'Mother_Name' looks identifying"
absent i.csv
run 1 "$CL" encode "$E/ragged.csv" --key a.key --ids i.csv --payload p.csv
has_err "ragged.csv:3: record has 3 fields but the header has 4"
run 1 "$CL" encode "$E/dup.csv" --key a.key --ids i.csv --payload p.csv
has_err "dup.csv:4: duplicate record id"
run 1 "$CL" encode "$E/header_only.csv" --key a.key --ids i.csv --payload p.csv
has_err "no records"
absent i.csv
absent p.csv
run 0 "$CL" encode "$E/leaky.csv" --schema "$E/schema_leaky_ok.json" --key a.key --ids l.csv --payload lp.csv
holds "identifying column left out" sh -c '! grep -qi "sarah" l.csv lp.csv'

run 2 "$CL" encode "$E/good.csv" --key a.key --ids a.key --payload p.csv
has_err "would overwrite the key file"
same a.key a.copy

# Determinism, and a second key gives other tokens
run 0 "$CL" encode "$E/good.csv" --key a.key --ids i1.csv --payload p1.csv
has_out "3 records encoded"
run 0 "$CL" encode "$E/good.csv" --key a.key --ids i2.csv --payload p2.csv
same i1.csv i2.csv
same p1.csv p2.csv
run 0 "$CL" encode "$E/good.csv" --key b.key --ids i3.csv --payload p3.csv
cut -d, -f1-13 i1.csv | tail -n +2 | tr , '\n' | grep . > toks1
holds "tokens of the first key found in its own file (control)" grep -qFf toks1 i1.csv
holds "second key: none of the first key's tokens" sh -c '! grep -qFf toks1 i3.csv'
run 0 "$CL" encode "$E/good.csv" --source other --key a.key --ids i4.csv --payload p4.csv
holds "--source changes record tokens" sh -c '[ "$(cut -d, -f1 i1.csv | sed -n 2p)" != "$(cut -d, -f1 i4.csv | sed -n 2p)" ]'
holds "--source keeps the other tokens" sh -c '[ "$(cut -d, -f2 i1.csv | sed -n 2p)" = "$(cut -d, -f2 i4.csv | sed -n 2p)" ]'
holds "ids header" sh -c 'head -n 1 i1.csv | grep -q "^record_token,nhs_number,upn,local_id,dob,sex,postcode_yob,postcode_sector_dob,postcode_district_dob,dob_year,surname_sdx_ym,names_sdx_yob,postcode_initial,dob_forename_initial,dob_surname_initial,other_id,dob_year_month,nhs_number_valid,upn_valid,filters_salted,bloom_scheme,bf_forenames,bf_surname,bf_dob,bf_postcode,bf_address,bf_record,filters_balanced$"'
holds "payload header" sh -c 'head -n 1 p1.csv | grep -q "^record_token,sex,birth_year,birth_month,ethnic_group,admission_date,diagnosis$"'
# Salt: the year and month of birth by default (the year where the month is
# unknown); the whole date, the year or nothing on request.
holds "filters salted with the year and month by default, with a dob_year_month token" sh -c \
    '[ "$(tail -n +2 i1.csv | cut -d, -f20 | tr -d "\n")" = 331 ] && [ "$(tail -n +2 i1.csv | cut -d, -f17 | grep -c "^[0-9a-f]\{32\}$")" = 2 ]'
run 0 "$CL" encode "$E/good.csv" --key a.key --ids sy.csv --payload syp.csv --salt dob
holds "--salt dob: flag 2 (the year where no whole date), other name filters" sh -c '[ "$(tail -n +2 sy.csv | cut -d, -f20 | tr -d "\n")" = 221 ] && [ "$(cut -d, -f22 sy.csv | sed -n 2p)" != "$(cut -d, -f22 i1.csv | sed -n 2p)" ]'
holds "--salt dob: same tokens but dob_year_month, same dob filter" sh -c '[ "$(cut -d, -f1-16,18-19,24 sy.csv)" = "$(cut -d, -f1-16,18-19,24 i1.csv)" ]'
holds "no dob_year_month token without --salt month" sh -c '[ -z "$(tail -n +2 sy.csv | cut -d, -f17 | tr -d "\n")" ]'
run 0 "$CL" encode "$E/good.csv" --key a.key --ids sm.csv --payload smp.csv --salt year
holds "--salt year: flag 1, other name filters" sh -c '[ "$(tail -n +2 sm.csv | cut -d, -f20 | tr -d "\n")" = 111 ] && [ "$(cut -d, -f22 sm.csv | sed -n 2p)" != "$(cut -d, -f22 i1.csv | sed -n 2p)" ]'
run 0 "$CL" encode "$E/good.csv" --key a.key --ids sn.csv --payload snp.csv --no-salt
holds "--no-salt: flag 0" sh -c '[ "$(tail -n +2 sn.csv | cut -d, -f20 | sort -u)" = 0 ]'
run 2 "$CL" encode "$E/good.csv" --key a.key --ids sx.csv --payload sxp.csv --salt week
has_err "--salt must be dob, month, year or none"
absent sx.csv
# Balanced filters: twice as long, exactly half the bits set, flagged.
run 0 "$CL" encode "$E/good.csv" --key a.key --ids bal.csv --payload balp.csv --bloom-balance
holds "balanced filter: 2048 bits, 1024 set" sh -c \
    '[ "$(cut -d, -f23 bal.csv | sed -n 2p | base64 -d | od -An -v -tu1 | awk "{ for (i = 1; i <= NF; i++) { n++; for (v = \$i; v > 0; v = int(v / 2)) c += v % 2 } } END { print n, c }")" = "256 1024" ]'
holds "balanced files say so" sh -c '[ "$(tail -n +2 bal.csv | awk -F, "{ print \$NF }" | sort -u)" = 1 ] && [ "$(tail -n +2 i1.csv | awk -F, "{ print \$NF }" | sort -u)" = 0 ]'
run 0 "$CL" encode "$E/good.csv" --key a.key --ids f.csv --payload fp.csv --bloom-bits 512 --bloom-xor-fold --bloom-flip 0.05
holds "folded 512-bit filter is 44 base64 chars" sh -c '[ "$(cut -d, -f22 f.csv | sed -n 2p | tr -d "\n" | wc -c)" -eq 44 ]'

# No clear identifier in any output, on synthetic sources (every name word,
# surname, dob in three formats, postcode with and without space, NHS number,
# UPN, local id and the source's own record id; case-insensitive, whole words).
# Bloom columns are base64 and left out of the search (random letters would
# match short names by chance).  Dates of birth are searched for in the ids
# file only: a payload event date (an admission on the day of birth) may
# rightly equal one (docs/privacy.md).
"$CL" synth --children 300 --out s >/dev/null 2>&1
for src in hes_apc npd_census csc_cla camhs ecds; do
    run 0 "$CL" encode "s/$src.csv" --schema "$src" --key a.key --ids "$src.ids.csv" --payload "$src.pay.csv"
    "$CL" clean "s/$src.csv" --schema "$src" --out "$src.clean.csv" >/dev/null 2>&1
    awk -F, 'NR > 1 {
        for (f = 1; f <= 12; f++) {
            if (f == 8 || f == 10) continue
            n = split($f, v, /[| ]/)
            for (i = 1; i <= n; i++) {
                x = v[i]; if (length(x) < 3) continue
                if (f == 7) { split(x, d, "-"); print x > dates; print d[3] "/" d[2] "/" d[1] > dates; print d[1] d[2] d[3] > dates }
                else print x
            }
            if (f == 9 && $f != "") { pc = $f; split(pc, q, "|"); print q[1]; gsub(/ /, "", q[1]); print q[1] }
        }
    }' dates="$src.dates.txt" "$src.clean.csv" | sort -u > "$src.clear.nodates"
    sort -u "$src.dates.txt" "$src.clear.nodates" > "$src.clear.txt"
    holds "$src: clear values found in the input (control)" grep -qiwFf "$src.clear.txt" "s/$src.csv"
    cut -d, -f1-17 "$src.ids.csv" > "$src.ids.tokens"
    holds "$src: no clear identifier in ids" sh -c "! grep -iwFf $src.clear.txt $src.ids.tokens"
    holds "$src: no clear name, postcode, NHS number or UPN in payload" sh -c "! grep -iwFf $src.clear.nodates $src.pay.csv"
    holds "$src: key not in outputs" sh -c "! grep -qi $KEYHEX $src.ids.csv $src.pay.csv"
    holds "$src: one row per record" sh -c "[ \$(wc -l < $src.ids.csv) -eq \$(wc -l < $src.pay.csv) ]"
done

# Frequency attack (docs/privacy.md): an attacker who knows the exact
# frequency of every clear value matches token frequencies to them; with
# ties broken at random it recovers, per distinct frequency, one group of
# that size.  The share of records recovered must stay under 5% for every
# name- or postcode-derived column, token or filter.
"$CL" synth --children 2000 --out s2 >/dev/null 2>&1
run 0 "$CL" encode s2/hes_apc.csv --schema hes_apc --key a.key --ids freq.csv --payload freqp.csv
# A filter is a deterministic function of its value and salt, so identical
# filters are attacked in the same way as identical tokens.
awk -F, 'NR == 1 { for (i = 2; i <= NF; i++) name[i] = $i; cols = NF; next }
    { for (i = 2; i <= cols; i++) if ($i != "") { c[i, $i]++; n[i]++ } }
    END { for (k in c) { split(k, a, SUBSEP); if (!((a[1], c[k]) in seen)) { seen[a[1], c[k]] = 1; rec[a[1]] += c[k] } }
          for (i = 2; i <= cols; i++) printf "%s %.4f\n", name[i], n[i] ? rec[i] / n[i] : 0 }' freq.csv > freq.txt
for col in postcode_yob postcode_sector_dob postcode_district_dob surname_sdx_ym names_sdx_yob postcode_initial \
    dob_forename_initial dob_surname_initial bf_forenames bf_surname bf_postcode bf_record; do
    holds "frequency attack on $col under 5%" awk -v c="$col" '$1 == c { exit !($2 < 0.05) } ' freq.txt
done

# clkhash mode: a thin wrapper; needs all three options
run 2 "$CL" encode "$E/good.csv" --clkhash-schema x.json --out c.json
has_err "--clkhash-schema, --secret and --out go together"
run 2 "$CL" encode "$E/good.csv" --clkhash-schema x.json --secret s.txt --out c.json --key a.key
has_err "takes no --key"
# Byte-identical to clkhash 0.18.3 on the shared vectors, when present.
V="$S/clkhash-vectors/vectors/v3_blake_main/A"
if [ -f "$V/clks.json" ]; then
    run 0 "$CL" encode "$V/input.csv" --clkhash-schema "$V/schema.json" --secret "$V/secret.txt" --out clks.json
    has_out "1000 records encoded as CLKs"
    same clks.json "$V/clks.json"
    # A file whose header does not match the schema: error, no output.
    run 1 "$CL" encode "$E/good.csv" --clkhash-schema "$V/schema.json" --secret "$V/secret.txt" --out bad.json
    absent bad.json
fi
