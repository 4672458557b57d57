#!/usr/bin/env bash
# Shared functions for scripts/run, scripts/test and .ci/run; source it, don't run it.
#
# Installs missing Debian packages, builds with CMake, and starts/stops the
# private services the daemon and its tests need: a JACK server on the dummy
# backend and a redis-server on a loopback port. Every server is started as a
# child of the calling shell and remembered by PID; the stop functions (and
# wm_cleanup, meant for `trap wm_cleanup EXIT`) end only those PIDs, never a
# process this script did not start. Temporary files live in one mktemp dir.
#
# Call the start functions directly, never inside $(...): they set globals.
set -euo pipefail

WM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WM_PACKAGES_FILE="$WM_ROOT/scripts/packages.txt"

WM_TMP=""            # mktemp dir for logs and sockets (wm_tmpdir)
WM_KEEP_TMP=0        # 1: wm_cleanup leaves WM_TMP in place (set on failures)
WM_WERROR=0          # 1: configure with -DWASHMIX_WERROR=ON
if [[ ${CI:-} == true ]]; then
	WM_WERROR=1
fi

WM_JACKD_PID=""      # jackd started by wm_start_jackd
WM_JACKD_NAME=""
WM_JACKD_LOG=""
WM_REDIS_PID=""      # redis-server started by wm_start_redis
WM_REDIS_PORT=""
WM_REDIS_LOG=""

# Seconds to wait for a server to answer; rate and period of the dummy backend.
WM_START_TIMEOUT=${WASHMIX_START_TIMEOUT:-10}
WM_JACK_RATE=${WASHMIX_JACK_RATE:-48000}
WM_JACK_PERIOD=${WASHMIX_JACK_PERIOD:-256}
# 1: jackd -R (SCHED_FIFO, as on a real box) instead of --no-realtime; the
# soak sets it when the kernel lets this user schedule realtime threads.
WM_JACK_REALTIME=0

# Clients must never start a JACK server behind our back (libjack would
# auto-start one from ~/.jackdrc on a real sound card).
export JACK_NO_START_SERVER=1

wm_log() {
	printf '[washmix] %s\n' "$*" >&2
}

wm_warn() {
	printf '[washmix] warning: %s\n' "$*" >&2
}

wm_err() {
	printf '[washmix] error: %s\n' "$*" >&2
}

wm_die() {
	wm_err "$*"
	exit 1
}

# wm_usage SCRIPT: print a script's header comment (from line 2 up to its
# `set -euo` line), which is its usage text.
wm_usage() {
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$1"
}

wm_banner() {
	printf '\n==== %s ====\n' "$*" >&2
}

wm_have() {
	command -v "$1" >/dev/null 2>&1
}

# Create the private temp dir once; sets WM_TMP.
wm_tmpdir() {
	if [[ -z $WM_TMP ]]; then
		WM_TMP=$(mktemp -d "${TMPDIR:-/tmp}/washmix.XXXXXX")
	fi
}

# Print the last lines of a log file, indented, to stderr.
wm_log_tail() {
	local file=$1 lines=${2:-30}
	if [[ -s $file ]]; then
		printf -- '---- last %s lines of %s ----\n' "$lines" "$file" >&2
		tail -n "$lines" "$file" | sed 's/^/  | /' >&2
		printf -- '----\n' >&2
	else
		printf -- '---- %s is empty ----\n' "$file" >&2
	fi
}

# Sleep a tenth of a second (falls back to 1 s where sleep takes integers only).
wm_nap() {
	sleep 0.1 2>/dev/null || sleep 1
}

# ---------------------------------------------------------------- packages

# The packages listed in scripts/packages.txt (comments and blanks dropped).
wm_packages() {
	sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$WM_PACKAGES_FILE"
}

# Print the listed packages that are not installed, one per line.
wm_missing_packages() {
	local -a pkgs
	local -A ok=()
	local pkg status
	mapfile -t pkgs < <(wm_packages)
	# One dpkg-query for all: "name<TAB>status" for each known package
	# (unknown ones only complain on stderr, and stay missing).
	while IFS=$'\t' read -r pkg status; do
		if [[ $status == "install ok installed" ]]; then
			ok[$pkg]=1
		fi
	done < <(dpkg-query -W -f='${Package}\t${Status}\n' "${pkgs[@]}" 2>/dev/null || true)
	for pkg in "${pkgs[@]}"; do
		if [[ -z ${ok[$pkg]:-} ]]; then
			printf '%s\n' "$pkg"
		fi
	done
}

# Install whatever scripts/packages.txt lists and is missing. Does nothing (and
# touches no network) when all are installed. WASHMIX_NO_INSTALL=1 skips it.
wm_install_deps() {
	local -a missing sudo_cmd
	if [[ ${WASHMIX_NO_INSTALL:-0} == 1 ]]; then
		return 0
	fi
	if ! wm_have dpkg-query; then
		wm_warn "no dpkg-query: not a Debian system, so not checking packages; install the equivalents of $WM_PACKAGES_FILE yourself"
		return 0
	fi
	mapfile -t missing < <(wm_missing_packages)
	if ((${#missing[@]} == 0)); then
		return 0
	fi
	wm_log "missing Debian packages: ${missing[*]}"
	if [[ $(id -u) -eq 0 ]]; then
		sudo_cmd=()
	elif wm_have sudo; then
		sudo_cmd=(sudo)
		if [[ ! -t 0 ]]; then
			sudo_cmd+=(-n) # no terminal to ask for a password on
		fi
	else
		wm_err "not root and no sudo; install them with:"
		printf '  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends %s\n' "${missing[*]}" >&2
		exit 1
	fi
	# jackd2 asks whether to enable realtime priority; answer it in advance.
	if wm_have debconf-set-selections; then
		echo 'jackd2 jackd/tweak_rt_limits boolean false' |
			"${sudo_cmd[@]}" debconf-set-selections ||
			wm_warn "could not preseed jackd2's debconf question (continuing)"
	fi
	if ! "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get -o DPkg::Lock::Timeout=300 update ||
		! "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
			apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "${missing[@]}"; then
		wm_err "installing packages failed; the command was:"
		printf '  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends %s\n' "${missing[*]}" >&2
		exit 1
	fi
	mapfile -t missing < <(wm_missing_packages)
	if ((${#missing[@]} != 0)); then
		wm_die "still missing after apt-get install: ${missing[*]}"
	fi
	wm_log "packages installed"
}

# ---------------------------------------------------------------- build

# wm_build DIR [cmake args...]: configure and build. DIR is relative to the
# repo root unless absolute. WASHMIX_WERROR follows WM_WERROR (CI=true or
# --werror) on every configure, so a cached ON does not outlive the flag.
wm_build() {
	local dir=$1 werror=OFF
	shift
	if [[ $dir != /* ]]; then
		dir="$WM_ROOT/$dir"
	fi
	if [[ $WM_WERROR == 1 ]]; then
		werror=ON
	fi
	wm_have cmake || wm_die "cmake not found (run wm_install_deps, or apt-get install cmake)"
	wm_log "configuring $dir (WASHMIX_WERROR=$werror $*)"
	if ! cmake -S "$WM_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DWASHMIX_WERROR="$werror" "$@"; then
		wm_err "cmake configure failed for $dir (messages above)"
		return 1
	fi
	wm_log "building $dir with $(nproc) jobs"
	if ! cmake --build "$dir" -j"$(nproc)"; then
		wm_err "build failed in $dir (compiler messages above)"
		return 1
	fi
	wm_log "build ok: $dir"
}

# ---------------------------------------------------------------- JACK

# True when a JACK server named NAME answers.
wm_jack_running() {
	jack_lsp -s "$1" >/dev/null 2>&1
}

# wm_start_jackd NAME: start `jackd -n NAME` on the dummy backend in the
# background, wait until it answers, and remember its PID. jackd2 runs as root
# without any special environment with --no-realtime; JACK_NO_AUDIO_RESERVATION
# keeps it off D-Bus device reservation (there is no session bus here).
# JACK2 keeps its servers in /dev/shm/jack-shm-registry, 8 slots; a jackd
# that was killed leaves its slot taken until a server of the same name
# starts again, so private test servers (named by pid) slowly fill it and
# every new one fails "Too many servers already active". With no jackd
# running at all, every JACK file of ours in /dev/shm is such a leftover.
wm_clear_stale_jack_shm() {
	local f
	if ! wm_have pgrep || pgrep -x jackd >/dev/null 2>&1; then
		return 0
	fi
	for f in /dev/shm/jack-shm-registry /dev/shm/jack-"$(id -u)"-* /dev/shm/jack_sem."$(id -u)"_* \
		/dev/shm/jack_*_[0-9]*_[0-9]*; do
		if [[ -O $f && ! -d $f ]]; then
			rm -f -- "$f"
		fi
	done
}

wm_start_jackd() {
	local name=$1 waited=0 limit
	wm_have jackd || wm_die "jackd not found (apt-get install jackd2)"
	wm_have jack_lsp || wm_die "jack_lsp not found (apt-get install jackd2)"
	if [[ -n $WM_JACKD_PID ]]; then
		wm_err "wm_start_jackd: already started jackd '$WM_JACKD_NAME' (pid $WM_JACKD_PID)"
		return 1
	fi
	if wm_jack_running "$name"; then
		wm_err "a JACK server named '$name' is already running; not starting another"
		return 1
	fi
	wm_clear_stale_jack_shm
	wm_tmpdir
	WM_JACKD_LOG="$WM_TMP/jackd-$name.log"
	local rt=--no-realtime
	if [[ $WM_JACK_REALTIME == 1 ]]; then
		rt=--realtime
	fi
	JACK_NO_AUDIO_RESERVATION=1 jackd "$rt" -n "$name" \
		-d dummy -r "$WM_JACK_RATE" -p "$WM_JACK_PERIOD" \
		>"$WM_JACKD_LOG" 2>&1 </dev/null &
	WM_JACKD_PID=$!
	WM_JACKD_NAME=$name
	limit=$((WM_START_TIMEOUT * 10))
	until wm_jack_running "$name"; do
		if ! kill -0 "$WM_JACKD_PID" 2>/dev/null; then
			wait "$WM_JACKD_PID" 2>/dev/null || true
			WM_JACKD_PID=""
			wm_err "jackd '$name' exited during startup"
			wm_log_tail "$WM_JACKD_LOG"
			return 1
		fi
		if ((waited >= limit)); then
			wm_err "jackd '$name' did not answer within ${WM_START_TIMEOUT}s"
			wm_log_tail "$WM_JACKD_LOG"
			wm_stop_jackd
			return 1
		fi
		wm_nap
		waited=$((waited + 1))
	done
	wm_log "jackd '$name' running on the dummy backend (${WM_JACK_RATE} Hz, ${WM_JACK_PERIOD} frames, pid $WM_JACKD_PID, log $WM_JACKD_LOG)"
}

# Stop the jackd that wm_start_jackd started (SIGTERM, then SIGKILL after 10 s).
# Does nothing when we started none; safe to call twice.
wm_stop_jackd() {
	if [[ -z $WM_JACKD_PID ]]; then
		return 0
	fi
	wm_stop_pid "$WM_JACKD_PID" "jackd '$WM_JACKD_NAME'"
	WM_JACKD_PID=""
}

# ---------------------------------------------------------------- redis

# True when a Redis server answers PING on 127.0.0.1:PORT.
wm_redis_ping() {
	[[ $(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == PONG ]]
}

# True when something listens on 127.0.0.1:PORT (TCP).
wm_port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wm_free_port START: print the first port from START (at most 100 tried) that
# nothing listens on.
wm_free_port() {
	local port=$1 last=$(($1 + 100))
	while ((port < last)); do
		if ! wm_port_busy "$port"; then
			printf '%s\n' "$port"
			return 0
		fi
		port=$((port + 1))
	done
	wm_err "no free TCP port in $1..$((last - 1))"
	return 1
}

# wm_start_redis PORT: start a throwaway redis-server on 127.0.0.1:PORT (no
# persistence, files in the temp dir), wait for PONG, remember its PID.
wm_start_redis() {
	local port=$1 waited=0 limit
	wm_have redis-server || { wm_err "redis-server not found (apt-get install redis-server)"; return 1; }
	wm_have redis-cli || { wm_err "redis-cli not found (apt-get install redis-tools)"; return 1; }
	if [[ -n $WM_REDIS_PID ]]; then
		wm_err "wm_start_redis: already started redis-server on port $WM_REDIS_PORT (pid $WM_REDIS_PID)"
		return 1
	fi
	if wm_port_busy "$port"; then
		wm_err "port $port is already in use; not starting redis-server there"
		return 1
	fi
	wm_tmpdir
	mkdir -p "$WM_TMP/redis-$port"
	WM_REDIS_LOG="$WM_TMP/redis-$port.log"
	redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
		--daemonize no --dir "$WM_TMP/redis-$port" --logfile '' \
		>"$WM_REDIS_LOG" 2>&1 </dev/null &
	WM_REDIS_PID=$!
	WM_REDIS_PORT=$port
	limit=$((WM_START_TIMEOUT * 10))
	until wm_redis_ping "$port"; do
		if ! kill -0 "$WM_REDIS_PID" 2>/dev/null; then
			wait "$WM_REDIS_PID" 2>/dev/null || true
			WM_REDIS_PID=""
			wm_err "redis-server on port $port exited during startup"
			wm_log_tail "$WM_REDIS_LOG"
			return 1
		fi
		if ((waited >= limit)); then
			wm_err "redis-server on port $port did not answer PING within ${WM_START_TIMEOUT}s"
			wm_log_tail "$WM_REDIS_LOG"
			wm_stop_redis
			return 1
		fi
		wm_nap
		waited=$((waited + 1))
	done
	wm_log "redis-server running on 127.0.0.1:$port (pid $WM_REDIS_PID, log $WM_REDIS_LOG)"
}

# Stop the redis-server that wm_start_redis started; safe to call twice.
wm_stop_redis() {
	if [[ -z $WM_REDIS_PID ]]; then
		return 0
	fi
	wm_stop_pid "$WM_REDIS_PID" "redis-server on port $WM_REDIS_PORT"
	WM_REDIS_PID=""
}

# ---------------------------------------------------------------- processes

# wm_stop_pid PID WHAT: SIGTERM our child PID, wait up to 10 s, then SIGKILL.
wm_stop_pid() {
	local pid=$1 what=$2 i
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid" 2>/dev/null || true
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		wm_nap
	done
	if kill -0 "$pid" 2>/dev/null; then
		wm_warn "$what (pid $pid) ignored SIGTERM for 10 s; sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
	wm_log "stopped $what"
}

# Stop every server we started and remove the temp dir (kept when
# WM_KEEP_TMP=1). Meant for `trap wm_cleanup EXIT`; safe to call twice.
wm_cleanup() {
	wm_stop_redis || true
	wm_stop_jackd || true
	if [[ -n $WM_TMP && -d $WM_TMP ]]; then
		if [[ $WM_KEEP_TMP == 1 ]]; then
			wm_log "logs kept in $WM_TMP"
		else
			rm -rf -- "$WM_TMP"
		fi
	fi
	WM_TMP=""
}

# Install the cleanup traps: EXIT runs wm_cleanup; INT/TERM exit (130/143) so
# that EXIT runs. A script with more to clean defines its own EXIT trap.
wm_trap_cleanup() {
	trap wm_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}
