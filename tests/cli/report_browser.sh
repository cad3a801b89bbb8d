# The report as a person sees it (sourced by tests/cli-lib.sh): report.html
# opened in headless Chromium with no network, which must load without a
# single console message or error event (the page's own script marks
# data-page-check="ok" only then, read back with --dump-dom), and a
# screenshot saved as $BUILD/report-screenshot.png for a human to look at.
#
# Chromium comes from tools/ensure-chromium.sh (installed when run as root).
# When it is missing and cannot be installed the test fails, printing the
# install line; set CHILDLINK_SKIP_BROWSER=1 to skip it deliberately on a
# machine without a browser (never under CI=true, where it always fails).

browser=$(sh "$ROOT/tools/ensure-chromium.sh" 2>"$T/ensure.err")
if [ -z "$browser" ]; then
    cat "$T/ensure.err"
    if [ "${CI:-}" != true ] && [ "${CHILDLINK_SKIP_BROWSER:-}" = 1 ]; then
        echo "  SKIPPED: report_browser (CHILDLINK_SKIP_BROWSER=1, chromium missing)"
    else
        bad "chromium is missing: install it as printed above (or set CHILDLINK_SKIP_BROWSER=1 to skip)"
    fi
    return 0 2>/dev/null || exit 0
fi

# A report with every analysis in it: a small synthetic population, link map
# from the truth (the browser check is about the page, not the linkage).
printf '{"prevalence": {"downs_syndrome": 0.05}}\n' > params.json
run 0 "$CL" synth --children 4000 --seed 9 --config params.json --out s
run 0 sh "$D/build/make-payloads.sh" s p "$ROOT/schemas"
PAY=""
for src in hes_apc ecds camhs npd_census npd_absence npd_ks2 npd_ks4 npd_exclusions csc_cin csc_cla; do
    PAY="$PAY --payload $src=p/$src.csv"
done
run 0 "$CL" build --linkmap p/linkmap.csv $PAY --out linked.db
run 0 "$CL" report linked.db --out rep
holds "all five analyses ran" sh -c '! grep -q "class=\"skip\">Skipped" rep/report.html'

# Headless Chromium, isolated profile, every host unresolvable: the page
# must need nothing from outside.
chrome() {
    "$browser" --headless --no-sandbox --disable-gpu --no-first-run --disable-extensions \
        --disable-background-networking --disable-component-update --disable-sync \
        --host-resolver-rules="MAP * ~NOTFOUND" --user-data-dir="$T/profile" \
        --enable-logging=stderr --v=0 "$@"
}
# check_page FILE: loads with data-page-check="ok" and no console message.
check_page() {
    chrome --dump-dom "file://$1" > "$T/dom.html" 2> "$T/console.log" || return 1
    grep -q 'data-page-check="ok"' "$T/dom.html" || return 1
    if grep -q ':CONSOLE' "$T/console.log"; then grep ':CONSOLE' "$T/console.log" | head -n 5; return 1; fi
    return 0
}
holds "report.html loads in Chromium with no console error" check_page "$T/rep/report.html"
holds "the DOM is the whole report" grep -q 'id="condition_absence"' "$T/dom.html"

# The check can fail: a page with a script error, and one that tries to load
# an image from the network, are both caught.
sed 's#</body>#<img src="http://example.invalid/x.png" alt=""></body>#' rep/report.html > net.html
if check_page "$T/net.html" > /dev/null; then bad "a network fetch went unnoticed"; else ok; fi
sed 's#</head>#<script>undefined_function();</script></head>#' rep/report.html > err.html
if check_page "$T/err.html" > /dev/null; then bad "a script error went unnoticed"; else ok; fi

# The screenshot, for a person to look at.
shot="$ROOT/$BUILD/report-screenshot.png"
rm -f "$shot"
chrome --hide-scrollbars --window-size=1100,15000 --screenshot="$shot" "file://$T/rep/report.html" \
    > /dev/null 2>&1
holds "screenshot written to $BUILD/report-screenshot.png" test -s "$shot"
holds "the screenshot is a PNG" sh -c "head -c 8 '$shot' | od -An -c | grep -q 'P   N   G'"
holds "the screenshot is not blank (over 100 KB)" test "$(wc -c < "$shot")" -gt 100000
