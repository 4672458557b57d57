#!/usr/bin/env bash
# `cmake --install` into a temporary DESTDIR puts every file where it belongs:
# the programs (executable, and they run: --help), the man pages (formatted by man
# without a warning, when man is installed), the docs and the example config.
# Run by ctest (install.destdir); the real system is never touched.
# usage: install.sh BUILD_DIR SOURCE_DIR PREFIX BINDIR MANDIR DOCDIR
#   (the last three as CMake's GNUInstallDirs has them, relative to PREFIX)
set -euo pipefail

build=$1 source=$2 prefix=$3 bindir=$4 mandir=$5 docdir=$6
tmp=$(mktemp -d "${TMPDIR:-/tmp}/washmix-install.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT
failed=0

fail() {
	printf 'install.destdir: %s\n' "$*" >&2
	failed=1
}

dest=$tmp/root
if ! DESTDIR=$dest cmake --install "$build" >"$tmp/install.log" 2>&1; then
	cat "$tmp/install.log" >&2
	fail "cmake --install $build failed"
	exit 1
fi
root=$dest$prefix

for prog in washmixd washmix; do
	f=$root/$bindir/$prog
	if [[ ! -f $f || ! -x $f ]]; then
		fail "$bindir/$prog is missing or not executable"
	elif ! "$f" --help >"$tmp/help" 2>&1 || ! grep -q "^usage: $prog " "$tmp/help"; then
		fail "the installed $prog does not run: $(cat "$tmp/help")"
	fi
done

for page in man8/washmixd.8 man1/washmix.1; do
	f=$root/$mandir/$page
	name=${page#*/}
	name=${name%.*}
	if [[ ! -s $f ]]; then
		fail "$mandir/$page is missing or empty"
	elif command -v man >/dev/null 2>&1; then
		if ! MANWIDTH=80 man --warnings -l "$f" >"$tmp/page" 2>"$tmp/warnings" || [[ -s $tmp/warnings ]]; then
			fail "man --warnings -l $mandir/$page: $(cat "$tmp/warnings")"
		fi
		if ! grep -q "^NAME" "$tmp/page" || ! grep -q "^ *$name - " "$tmp/page"; then
			fail "$mandir/$page has no NAME line for $name"
		fi
		grep -q "^SEE ALSO" "$tmp/page" || fail "$mandir/$page has no SEE ALSO section"
	fi
done

for doc in README.md protocol.md osc.md scenes.md render.md washmixd.conf.example \
	openstagecontrol/washmix-8x2.json; do
	[[ -s $root/$docdir/$doc ]] || fail "$docdir/$doc is missing or empty"
done
if [[ -f $root/$docdir/washmixd.conf.example ]] &&
	! cmp -s "$root/$docdir/washmixd.conf.example" "$source/docs/washmixd.conf.example"; then
	fail "the installed washmixd.conf.example differs from docs/washmixd.conf.example"
fi

# Nothing lands outside the prefix, except in the systemd files' own places
# (pkg-config systemd names them absolutely: /lib/systemd/system,
# /usr/lib/sysusers.d, /usr/lib/tmpfiles.d) and /etc.
while IFS= read -r f; do
	case $f in
	"$root"/* | "$dest"/lib/systemd/* | "$dest"/usr/lib/systemd/* | \
		"$dest"/usr/lib/sysusers.d/* | "$dest"/usr/lib/tmpfiles.d/* | "$dest"/etc/*) ;;
	*) fail "installed outside the prefix $prefix: ${f#"$dest"}" ;;
	esac
done < <(find "$dest" -type f)

if ((failed)); then
	echo "install.destdir: installed files:" >&2
	(cd "$dest" && find . -type f | sort) >&2
	exit 1
fi
echo "install.destdir: $(find "$dest" -type f | wc -l) files installed under DESTDIR$prefix as expected"
