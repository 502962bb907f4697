#!/bin/sh
# Fetches Debian packages of one architecture (arm64, or FETCH_ARCH: amd64) by name into a
# cache, without touching the host's apt state or architecture list: apt-get runs with its own
# lists and cache directories and with that architecture as its only one, then `dpkg-deb -x`
# unpacks each package. Use one cache directory per architecture.
#
#   [FETCH_ARCH=amd64] scripts/fetch-debian.sh CACHE_DIR PACKAGE...
#
# A package name ending in "@kernel" is resolved through Debian's linux-image-ARCH
# metapackage to the current ABI's unsigned image (linux-image-6.1.0-N-ARCH-unsigned).
# Each package is unpacked into CACHE_DIR/root/<package>/; CACHE_DIR/root/<package>/.done
# marks a finished unpack, so a second run is offline. Exit 0 on success; exit 77 with a
# one-line reason when the archive cannot be reached (tests turn that into SKIP).
set -eu
[ $# -ge 2 ] || { echo "usage: $0 CACHE_DIR PACKAGE..." >&2; exit 2; }
mkdir -p "$1"; cache=$(cd "$1" && pwd); shift
mkdir -p "$cache/apt/lists/partial" "$cache/apt/cache/archives/partial" "$cache/debs" "$cache/root"
arch=${FETCH_ARCH:-arm64}
APT="-q -oAPT::Architecture=$arch -oAPT::Architectures=$arch -oDir::State::Lists=$cache/apt/lists \
 -oDir::Cache=$cache/apt/cache -oDebug::NoLocking=1 -oAPT::Sandbox::User=root"

need_update=0
for p in "$@"; do
    name=${p%@kernel}
    [ -f "$cache/root/$name/.done" ] || need_update=1
done
[ $need_update = 1 ] || exit 0
command -v apt-get >/dev/null || { echo "fetch-debian: apt-get not found" >&2; exit 77; }
if ! apt-get $APT update >"$cache/apt/update.log" 2>&1 || grep -q '^\(W\|E\): Failed' "$cache/apt/update.log"; then
    echo "fetch-debian: cannot reach the Debian archive (see $cache/apt/update.log)" >&2
    exit 77
fi
for p in "$@"; do
    name=${p%@kernel}
    [ -f "$cache/root/$name/.done" ] && continue
    pkg=$name
    if [ "$p" != "$name" ]; then
        img=$(apt-cache $APT depends "$name" 2>/dev/null | sed -n "s/^ *Depends: \\(linux-image-[0-9].*-$arch\\)\$/\\1/p" | head -1)
        [ -n "$img" ] || { echo "fetch-debian: cannot resolve $name to a kernel package" >&2; exit 77; }
        pkg=$img-unsigned
    fi
    (cd "$cache/debs" && apt-get $APT download "$pkg" >/dev/null 2>"$cache/apt/download.log") || {
        echo "fetch-debian: cannot download $pkg (see $cache/apt/download.log)" >&2; exit 77; }
    deb=$(ls -t "$cache/debs/${pkg}_"*.deb | head -1)
    rm -rf "$cache/root/$name"
    mkdir -p "$cache/root/$name"
    dpkg-deb -x "$deb" "$cache/root/$name"
    echo "$pkg" >"$cache/root/$name/.package"
    touch "$cache/root/$name/.done"
done
