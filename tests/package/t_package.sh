#!/usr/bin/env bash
# The Debian package of this build (cpack -G DEB into a scratch directory): its Depends come
# from the linked libraries, it holds the binaries, the man page, the completions and the
# docs, and unpacked into a scratch root its tchat runs and finds its documentation.
TCHAT_BUILD=${TCHAT_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build/dev}
source "$(dirname "$0")/../integration/lib.sh"

expect() { # NAME COMMAND...: passes when the command succeeds
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name" "$*"; fi
}

for tool in cpack dpkg-deb dpkg-shlibdeps; do
    command -v "$tool" >/dev/null || { echo "t_package: $tool is required (scripts/dev deps)"; exit 1; }
done
if ! cpack -G DEB --config "$TCHAT_BUILD/CPackConfig.cmake" -B "$T_DIR/pkg" >"$T_DIR/cpack.log" 2>&1; then
    cat "$T_DIR/cpack.log"
    fail "cpack -G DEB" "failed"
    finish
fi
debs=("$T_DIR"/pkg/tchat_*.deb)
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$TCHAT_BUILD/CMakeCache.txt")
arch=$(dpkg --print-architecture)
expect "one package, tchat_${version}_$arch.deb" \
    test "${#debs[@]}" = 1 -a "${debs[0]}" = "$T_DIR/pkg/tchat_${version}_$arch.deb"
deb=${debs[0]}

field() { dpkg-deb -f "$deb" "$1"; }
depends=$(field Depends)
for lib in libc6 libcurl4 'libncursesw6|libtinfo6' libreadline8 libcjson1; do
    expect "Depends on $lib" grep -qE "(^|, )($lib) " <<<"$depends"
done
expect "Package: tchat" test "$(field Package)" = tchat
expect "Version: $version" test "$(field Version)" = "$version"
expect "Section: net" test "$(field Section)" = net
expect "a Maintainer" test -n "$(field Maintainer)"
expect "a summary and a long description" test "$(field Description | wc -l)" -gt 2
expect "no Homepage (there is none)" test -z "$(field Homepage)"

contents=$(dpkg-deb -c "$deb" | awk '{ print $NF }')
for f in usr/bin/tchat usr/libexec/tchat/tchat-mock usr/share/man/man1/tchat.1.gz \
    usr/share/bash-completion/completions/tchat usr/share/zsh/vendor-completions/_tchat \
    usr/share/fish/vendor_completions.d/tchat.fish usr/share/doc/tchat/README.md \
    usr/share/doc/tchat/LICENSE usr/share/doc/tchat/docs/config.md; do
    expect "contains /$f" grep -qx "./$f" <<<"$contents"
done
expect "nothing outside /usr" eval '! grep -v "^\./usr/\|^\./$" <<<"$contents"'

root=$T_DIR/root
dpkg -x "$deb" "$root"
TCHAT_BIN=$root/usr/bin/tchat
run_tchat --version
expect "unpacked: tchat --version runs and names the licence" \
    eval '[[ $CODE == 0 && $OUT == *"License: MIT"* ]]'
run_tchat --help
expect "unpacked: tchat --help points at /usr/share/doc/tchat" \
    eval '[[ $CODE == 0 && $(tail -n1 <<<"$OUT") == "  /usr/share/doc/tchat" ]]'
run_tchat --list-themes
expect "unpacked: tchat --list-themes lists the shipped themes" \
    eval '[[ $CODE == 0 && $OUT == *high-contrast* ]]'
run_tchat --completion bash
expect "unpacked: the bash completion is what its tchat prints" \
    eval '[[ $OUT == "$(cat "$root/usr/share/bash-completion/completions/tchat")" ]]'
expect "unpacked: tchat-mock runs" eval '"$root/usr/libexec/tchat/tchat-mock" --help >/dev/null'
if command -v man >/dev/null; then
    expect "unpacked: the man page renders and names the doc directory" \
        eval 'MANWIDTH=80 man -l "$root/usr/share/man/man1/tchat.1.gz" 2>/dev/null | grep -q /usr/share/doc/tchat'
else
    echo "skipped: the man page (no man command)"
fi

finish
