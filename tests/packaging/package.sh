#!/usr/bin/env bash
# The Debian package CPack builds from this tree holds exactly what
# `cmake --install` puts in place, names its version and library
# dependencies, and carries the maintainer scripts. Run by ctest
# (package.deb); exits 77 (skipped) without dpkg-deb or dpkg-shlibdeps.
# usage: package.sh BUILD_DIR CPACK VERSION
set -euo pipefail

build=$1 cpack=$2 version=$3
for tool in dpkg-deb dpkg-shlibdeps; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "package.deb: skipped: no $tool here (Debian's dpkg and dpkg-dev)"
		exit 77
	fi
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/washmix-package.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT
failed=0

fail() {
	printf 'package.deb: %s\n' "$*" >&2
	failed=1
}

if ! (cd "$build" && "$cpack" -G DEB -B "$tmp/out") >"$tmp/cpack.log" 2>&1; then
	cat "$tmp/cpack.log" >&2
	fail "cpack -G DEB failed"
	exit 1
fi
debs=("$tmp"/out/*.deb)
if ((${#debs[@]} != 1)) || [[ ! -f ${debs[0]} ]]; then
	fail "cpack made ${#debs[@]} .deb files, not 1: ${debs[*]}"
	exit 1
fi
deb=${debs[0]}

field() {
	dpkg-deb --field "$deb" "$1"
}
[[ $(field Package) == washmix ]] || fail "Package is '$(field Package)', not washmix"
[[ $(field Version) == "$version"-* ]] || fail "Version is '$(field Version)', not $version-N"
[[ $(field Depends) == *libjack* ]] || fail "Depends names no libjack: '$(field Depends)'"
[[ -n $(field Maintainer) ]] || fail "no Maintainer"
[[ $(field Description) == *JACK* ]] || fail "the Description is only its summary"
dpkg-deb --info "$deb" postinst >/dev/null 2>&1 || fail "no postinst in the package"

# The same files as a DESTDIR install of the same tree.
DESTDIR=$tmp/root cmake --install "$build" >"$tmp/install.log" 2>&1 ||
	fail "cmake --install failed: $(cat "$tmp/install.log")"
(cd "$tmp/root" && find . \( -type f -o -type l \) | sort) >"$tmp/installed"
dpkg-deb --contents "$deb" | awk '$1 !~ /^d/ { print $6 }' | sort >"$tmp/packaged"
if ! diff -u "$tmp/installed" "$tmp/packaged" >"$tmp/diff"; then
	fail "the package's files differ from cmake --install's (- installed, + packaged):"
	cat "$tmp/diff" >&2
fi

if ((failed)); then
	exit 1
fi
echo "package.deb: $(basename "$deb") holds the $(wc -l <"$tmp/packaged") installed files; Depends: $(field Depends)"
