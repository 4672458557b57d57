/* daemon_fixture.h - run washmixd for a test binary: spawn it on a socket in
 * a private directory, wait until it is ready, stop it and check it stopped
 * cleanly.
 *
 * The binary is WASHMIXD_PATH (set by CMake; the environment variable
 * WASHMIXD overrides it). Arguments: --socket DIR/control.sock --channels N
 * --zones Z [--mono LIST] --osc-port 0 --redis none, then the caller's extra
 * arguments; the environment adds LOG_LEVEL=debug, STATE_DIRECTORY=DIR/state
 * and HOME=DIR (and passes on the caller's JACK_DEFAULT_SERVER). OSC is off
 * and state is private, so two test binaries never share a port or a saved
 * live state, and every start is a fresh mixer.
 *
 * The JACK client name is unique too (--jack-client washmix-PID-N): JACK2
 * makes a client's notification socket /dev/shm/jack_NAME_UID_0 while the
 * client opens - named after the client, not the server - so two clients of
 * one name opening at once on two servers (two test binaries under
 * `ctest -j2`) steal each other's socket and one open fails. Tests name the
 * daemon's ports with wm_daemon_port().
 *
 * Under the realtime checker (WASHMIX_TEST_RTGUARD, see rtguard_run.h) the
 * daemon gets librtguard preloaded, and stopping or killing it fails the
 * test when its log reports a realtime violation, or (on a clean stop) when
 * the library's exit line is missing or shows no process cycle.
 *
 * Ready means: the socket accepts, and `health` answers ok with
 * "jack":{"connected":true,...} (within 10 s). Every failure message ends
 * with the tail of the daemon's log. */
#ifndef WM_T_DAEMON_FIXTURE_H
#define WM_T_DAEMON_FIXTURE_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "tests/support/proc.h"

#ifndef WASHMIXD_PATH
#define WASHMIXD_PATH "washmixd"
#endif
#ifndef WASHMIX_CLI_PATH
#define WASHMIX_CLI_PATH "washmix"
#endif

#define WM_T_READY_TIMEOUT_MS 10000

struct wm_daemon {
	char dir[PATH_MAX];     /* private directory of this instance */
	char sock[108];         /* DIR/control.sock */
	char log[PATH_MAX];     /* DIR/washmixd.log (stdout and stderr) */
	long log_from;          /* the log's size when this run started */
	char path[PATH_MAX];    /* the binary */
	char client[64];        /* its JACK client name */
	int channels, zones;
	uint32_t latency;       /* frames its outputs lag its inputs (health) */
	struct wm_proc *proc;
};

/* washmixd refuses to run as root without --allow-root, and tests run as
 * root in CI: "--allow-root" when geteuid() is 0, else "--allow-root=no"
 * (the default spelled out, so argument lists keep their shape). */
const char *wm_t_root_flag(void);

/* The daemon and CLI binaries (environment WASHMIXD / WASHMIX_CLI win). */
const char *wm_daemon_binary(void);
const char *wm_cli_binary(void);

/* Start a daemon in a new subdirectory of base (made with mkdtemp). mono:
 * NULL or a --mono list ("3" or "3,5"); extra: NULL-terminated arguments or
 * NULL. Fails the test (with the log tail) unless it becomes ready. */
void wm_t_daemon_start(struct wm_daemon *d, const char *base, int channels, int zones,
		       const char *mono, const char *const extra[]);

/* The same in a directory of the caller's choosing, made when missing and
 * kept as it is otherwise: starting again in the directory of a stopped or
 * killed daemon restarts it on the same state folder (DIR/state) and
 * appends to its log. The JACK client name is new at every start. */
void wm_t_daemon_start_in(struct wm_daemon *d, const char *dir, int channels, int zones,
			  const char *mono, const char *const extra[]);

/* SIGKILL, a crash: no clean stop, so the socket file stays behind. Fails
 * unless the daemon was still running and died of the signal. */
void wm_t_daemon_kill(struct wm_daemon *d);

/* Poll `health` until "jack":{"connected":want} (and the daemon still runs)
 * or timeout_ms; returns the last health reply (caller decrefs) or NULL. */
json_t *wm_daemon_wait_jack(struct wm_daemon *d, bool want, int timeout_ms);

/* "CLIENT:port" for a port of the daemon ("ch1_L", "zone2_R"); the result
 * lives in one of 8 static buffers used in turn. */
const char *wm_daemon_port(const struct wm_daemon *d, const char *port);

struct wm_src;
struct wm_sink;

/* Wire zones 1..zones of the daemon to the sink: zoneZ_L -> sink input
 * 2Z-1, zoneZ_R -> sink input 2Z (the connection is made through s). */
void wm_t_connect_zones(struct wm_src *s, const struct wm_daemon *d, struct wm_sink *k,
			int zones);

/* Fail the test unless the daemon is still running; `after` names what was
 * just done ("after a 5000-byte line"). */
void wm_t_daemon_alive(struct wm_daemon *d, const char *after);

/* SIGTERM; fails unless it exits with status 0 within 5 s and its socket
 * file is gone. */
void wm_t_daemon_stop(struct wm_daemon *d);

/* The last bytes of the daemon log (malloc'd). */
char *wm_daemon_log_tail(const struct wm_daemon *d);

#endif
