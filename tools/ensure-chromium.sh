#!/bin/sh
# Make sure a headless Chromium is present for the report's browser test
# (tests/cli/report_browser.sh).  Installs Debian's `chromium` package with
# apt-get when run as root; otherwise prints the exact command to run and
# fails.  Kept apart from tools/ensure-deps.sh so that a machine without a
# browser can still build and run every other test.
# Prints the browser's path on standard output when it is there.
set -u
for b in chromium chromium-browser; do
    if command -v "$b" >/dev/null 2>&1; then command -v "$b"; exit 0; fi
done
if [ "$(id -u)" = 0 ]; then
    echo "childlink: installing chromium for the report's browser test" >&2
    export DEBIAN_FRONTEND=noninteractive
    if apt-get update -q >&2 && apt-get install -y -q --no-install-recommends chromium >&2; then
        command -v chromium && exit 0
    fi
    echo "childlink: apt-get failed; install by hand:" >&2
else
    echo "childlink: the report's browser test needs chromium. Run:" >&2
fi
echo "  sudo apt-get update && sudo apt-get install -y chromium" >&2
exit 1
