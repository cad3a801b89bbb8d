#!/bin/sh
# Benchmark: `childlink clean` on a 1,000,000-row canonical file (made here).
# Prints rows/s and peak memory; streaming means memory stays flat in rows.
set -eu
BUILD=${1:-build}
ROWS=${BENCH_CLEAN_ROWS:-1000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk -v n="$ROWS" 'BEGIN {
    srand(7);
    split("Oliver Amelia Muhammad Isla Noah Ava Zoë José Aisha Jack", fn, " ");
    split("Smith Jones Khan Patel Brown O'\''Brien Nowak Taylor Ahmed Wilson", sn, " ");
    split("SW1A 1AA|M1 1AE|B33 8TH|CR2 6XH|DN55 1PT|LS1 4AP|E1 6AN|N1 9GU", pc, "|");
    print "record_id,nhs_number,upn,forenames,surname,dob,sex,postcode";
    for (i = 1; i <= n; i++) {
        d = 1 + int(rand() * 28); m = 1 + int(rand() * 12); y = 2005 + int(rand() * 16);
        printf "r%d,943 476 5919,,%s,%s,%02d/%02d/%d,%s,%s\n", i, fn[1 + int(rand() * 10)],
               sn[1 + int(rand() * 10)], d, m, y, (rand() < 0.5 ? "M" : "F"), pc[1 + int(rand() * 8)];
    }
}' > "$tmp/in.csv"
out=$("$BUILD/bench/measure" "$BUILD/childlink" --quiet clean "$tmp/in.csv" --out "$tmp/out.csv" 2>&1 >/dev/null)
wall=$(echo "$out" | sed -n 's/.*wall_s=\([0-9.]*\).*/\1/p')
rss=$(echo "$out" | sed -n 's/.*peak_rss_mb=\([0-9.]*\).*/\1/p')
awk -v n="$ROWS" -v w="$wall" -v r="$rss" 'BEGIN {
    printf "clean: %d rows in %.2f s = %.0f rows/s on one core, peak memory %.1f MiB\n", n, w, n / w, r }'
