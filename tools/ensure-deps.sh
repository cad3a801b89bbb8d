#!/bin/sh
# Make sure the Debian packages childlink builds against are present.
# Installs them with apt-get when run as root; otherwise prints the exact
# command to run and fails.  Usage: tools/ensure-deps.sh [build|check]
set -u
what=${1:-build}

# pkg-config module -> Debian package
need_pkgs=""
have_pc() { command -v pkg-config >/dev/null 2>&1 && pkg-config --exists "$1"; }
want() { need_pkgs="$need_pkgs $1"; }

command -v pkg-config >/dev/null 2>&1 || want pkg-config
command -v cc >/dev/null 2>&1 || want gcc
have_pc sqlite3    || want libsqlite3-dev
have_pc libutf8proc || want libutf8proc-dev
have_pc jansson    || want libjansson-dev
have_pc libcrypto  || want libssl-dev
if [ "$what" = check ]; then
    have_pc cmocka || want libcmocka-dev
    command -v clang >/dev/null 2>&1 || want clang
    # libFuzzer's runtime ships separately from the compiler on Debian 12.
    if command -v clang >/dev/null 2>&1; then
        rt=$(clang -print-resource-dir 2>/dev/null)/lib/linux/libclang_rt.fuzzer-x86_64.a
        [ -f "$rt" ] || want "libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev"
    else
        want libclang-rt-14-dev
    fi
fi

[ -z "$need_pkgs" ] && exit 0

if [ "$(id -u)" = 0 ]; then
    echo "childlink: installing missing build dependencies:$need_pkgs" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2 && apt-get install -y -q --no-install-recommends $need_pkgs >&2 && exit 0
    echo "childlink: apt-get failed; install by hand:" >&2
else
    echo "childlink: missing build dependencies. Run:" >&2
fi
echo "  sudo apt-get update && sudo apt-get install -y$need_pkgs" >&2
exit 1
