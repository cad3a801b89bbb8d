#!/bin/sh
# Benchmark: `childlink encode` (tokens and five 1024-bit Bloom filters per
# record) on a 250,000-row extract made here.  Prints records/s and peak
# memory; encoding streams, so memory stays flat in rows except for the set
# of record ids kept to refuse duplicates.
set -eu
BUILD=${1:-build}
ROWS=${BENCH_ENCODE_ROWS:-250000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk -v n="$ROWS" 'BEGIN {
    srand(11);
    split("Oliver Amelia Muhammad Isla Noah Ava Zoë José Aisha Jack Katie Thomas", fn, " ");
    split("Smith Jones Khan Patel Brown O'\''Brien Nowak Taylor Ahmed Wilson Bailey", sn, " ");
    split("SW1A 1AA|M1 1AE|B33 8TH|CR2 6XH|DN55 1PT|LS1 4AP|E1 6AN|N1 9GU", pc, "|");
    print "record_id,nhs_number,upn,forenames,surname,dob,sex,postcode,admission_date,diagnosis";
    for (i = 1; i <= n; i++) {
        d = 1 + int(rand() * 28); m = 1 + int(rand() * 12); y = 2005 + int(rand() * 16);
        printf "r%d,9434765919,,%s %s,%s,%02d/%02d/%d,%s,%s,2020-01-%02d,J%03d\n", i,
               fn[1 + int(rand() * 12)], fn[1 + int(rand() * 12)], sn[1 + int(rand() * 11)],
               d, m, y, (rand() < 0.5 ? "M" : "F"), pc[1 + int(rand() * 8)], d, i % 1000;
    }
}' > "$tmp/in.csv"
"$BUILD/childlink" --quiet keygen --out "$tmp/bench.key" >/dev/null
out=$("$BUILD/bench/measure" "$BUILD/childlink" --quiet encode "$tmp/in.csv" --key "$tmp/bench.key" \
      --ids "$tmp/ids.csv" --payload "$tmp/payload.csv" 2>&1 >/dev/null)
wall=$(echo "$out" | sed -n 's/.*wall_s=\([0-9.]*\).*/\1/p')
rss=$(echo "$out" | sed -n 's/.*peak_rss_mb=\([0-9.]*\).*/\1/p')
awk -v n="$ROWS" -v w="$wall" -v r="$rss" 'BEGIN {
    printf "encode: %d records in %.2f s = %.0f records/s on one core, peak memory %.1f MiB\n",
           n, w, n / w, r }'
