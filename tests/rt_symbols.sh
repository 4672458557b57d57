#!/usr/bin/env bash
# The static realtime check: every symbol a realtime-only object file leaves
# undefined must be on the allow-list, so a new call out of the audio path
# (malloc, a lock, printf, a syscall wrapper) fails the build's tests even
# when no test reaches it at run time.
#
# usage: tests/rt_symbols.sh ALLOWLIST RT_SOURCES OBJECT...
#   ALLOWLIST   tests/rt_allowlist.txt (one name a line, '#' comments)
#   RT_SOURCES  comma-separated source names ("dsp.c,ramp.c"); of the objects,
#               those named SOURCE.o are checked, and each must be present
#   OBJECT...   object files to pick from (e.g. $<TARGET_OBJECTS:wm_engine>)
set -euo pipefail

if (($# < 3)); then
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
	exit 2
fi
allowlist=$1
IFS=, read -r -a rt_sources <<<"$2"
shift 2

allowed=$(grep -v '^[[:space:]]*\(#\|$\)' "$allowlist")
status=0
for src in "${rt_sources[@]}"; do
	obj=""
	for o in "$@"; do
		if [[ $(basename "$o") == "$src.o" ]]; then
			obj=$o
		fi
	done
	if [[ -z $obj ]]; then
		echo "rt.symbols: no object file for $src among the ones given" >&2
		status=1
		continue
	fi
	mapfile -t bad < <(nm -u "$obj" | awk '{print $NF}' | grep -vxF -e "$allowed" || true)
	if ((${#bad[@]} > 0)); then
		echo "rt.symbols: $src calls what the realtime path may not:" >&2
		printf '  %s\n' "${bad[@]}" >&2
		echo "  (if it is realtime-safe, add it to $allowlist; else move the call out of $src)" >&2
		status=1
	else
		echo "rt.symbols: $src: $(nm -u "$obj" | wc -l) undefined symbols, all allowed"
	fi
done
exit "$status"
