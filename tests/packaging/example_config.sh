#!/usr/bin/env bash
# Keeps docs/washmixd.conf.example true: washmixd accepts it as it is and with
# every setting uncommented; uncommented it changes nothing (each value shown
# is the default); it names every option of `washmixd --help` and every key
# `washmixd --check-config` prints. Run by ctest (config.example).
# usage: example_config.sh WASHMIXD EXAMPLE
set -euo pipefail

washmixd=$1
example=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/washmix-example.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT
failed=0

fail() {
	printf 'config.example: %s\n' "$*" >&2
	failed=1
}

# The service's environment only (the example shows the service's paths), so
# settings taken from the caller's environment cannot hide a wrong default.
run() {
	env -i PATH=/usr/bin:/bin HOME="$tmp/home" \
		RUNTIME_DIRECTORY=/run/washmixd STATE_DIRECTORY=/var/lib/washmixd \
		${ASAN_OPTIONS:+ASAN_OPTIONS=$ASAN_OPTIONS} \
		${UBSAN_OPTIONS:+UBSAN_OPTIONS=$UBSAN_OPTIONS} \
		${LSAN_OPTIONS:+LSAN_OPTIONS=$LSAN_OPTIONS} \
		"$washmixd" "$@"
}

# 1. As shipped: every setting commented out.
if ! run --check-config --config "$example" >"$tmp/as-is.ini" 2>"$tmp/err"; then
	fail "washmixd --check-config refuses $example: $(cat "$tmp/err")"
fi

# 2. Every ';key = value' line uncommented: accepted, and the same as the defaults.
sed -E 's/^;([a-z_]+ =)/\1/' "$example" >"$tmp/uncommented.conf"
run --check-config >"$tmp/defaults.ini" 2>"$tmp/err" ||
	fail "washmixd --check-config without a file fails: $(cat "$tmp/err")"
if ! run --check-config --config "$tmp/uncommented.conf" >"$tmp/uncommented.ini" 2>"$tmp/err"; then
	fail "washmixd refuses $example with its settings uncommented: $(cat "$tmp/err")"
elif ! diff -u <(sed 1d "$tmp/defaults.ini") <(sed 1d "$tmp/uncommented.ini") >"$tmp/diff"; then
	fail "a value in $example is not the default (defaults vs. uncommented example):"
	cat "$tmp/diff" >&2
fi

# 3. Every option of --help is named in the example.
run --help >"$tmp/help" || fail "washmixd --help fails"
mapfile -t flags < <(grep -oE '^  --[a-z][a-z-]*' "$tmp/help" | sed 's/^ *//')
((${#flags[@]} > 10)) || fail "found only ${#flags[@]} options in washmixd --help"
for flag in "${flags[@]}"; do
	grep -qE -- "${flag}([^a-z-]|\$)" "$example" ||
		fail "$example does not name the option $flag (add its setting, or list it as command-line only)"
done

# 4. Every [section] key that --check-config prints is in the example under
#    that section, as ';key = default'.
mapfile -t keys < <(awk '/^\[/ { s = $0; next } /^[a-z_]+ =/ { print s " " $1 }' "$tmp/defaults.ini")
((${#keys[@]} > 10)) || fail "found only ${#keys[@]} keys in washmixd --check-config"
mapfile -t have < <(awk '/^\[/ { s = $0; next } /^;[a-z_]+ =/ { print s " " substr($1, 2) }' "$example")
for key in "${keys[@]}"; do
	printf '%s\n' "${have[@]}" | grep -qxF -- "$key" ||
		fail "$example has no ';${key#* } = ...' line under ${key%% *}"
done

if ((failed)); then
	exit 1
fi
echo "config.example: $example is accepted, shows the defaults, and names ${#flags[@]} options and ${#keys[@]} keys"
