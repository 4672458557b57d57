/* jackd_fixture.h - a private JACK server for one test binary: jackd with the
 * dummy backend (48 kHz, 256-frame periods, no realtime scheduling) under a
 * name of its own, "wmt-<test binary>-<n>" (with the PID added when that
 * name is in use), so test binaries can run side by side.
 * Starting it also sets JACK_DEFAULT_SERVER to that name, so every program
 * spawned afterwards (washmixd, the CLI) talks to it.
 *
 * The wm_t_* functions fail the current Check test (ck_abort_msg) with the
 * jackd log tail; they work in unchecked fixtures and in test bodies. The
 * process that starts a server owns it: stop it from the same process. */
#ifndef WM_T_JACKD_FIXTURE_H
#define WM_T_JACKD_FIXTURE_H

#include <limits.h>
#include <stddef.h>

#include "tests/support/proc.h"

#define WM_T_RATE 48000
#define WM_T_PERIOD 256

struct wm_jackd {
	char name[64];
	char log[PATH_MAX];
	struct wm_proc *proc;
	int starts;             /* how many times started (restarts count) */
};

/* Start a new server in dir (its log is dir/jackd-NAME.log), set
 * JACK_DEFAULT_SERVER, wait until a client can connect (10 s). Returns 0, or
 * -1 with err filled (and the server stopped). */
int wm_jackd_start(struct wm_jackd *j, const char *dir, char *err, size_t errlen);

/* Start again under the same name after a stop or kill (reconnect tests). */
int wm_jackd_start_again(struct wm_jackd *j, char *err, size_t errlen);

/* Signal the server (SIGTERM: clean stop; SIGKILL: a crash) and wait for it to
 * be gone (5 s, then SIGKILL). Returns 0 when it exited in time. */
int wm_jackd_stop(struct wm_jackd *j, int sig);

/* Can a client connect right now? (jack_client_open with JackNoStartServer.) */
int wm_jackd_ping(const char *name, char *err, size_t errlen);

/* Check-asserting wrappers. A reconnect test kills the server, closes its
 * own clients (libjack must not see the new server while old clients of
 * the same name are open), then starts it again. */
void wm_t_jackd_start(struct wm_jackd *j, const char *dir);
void wm_t_jackd_kill(struct wm_jackd *j, int sig);
void wm_t_jackd_start_again(struct wm_jackd *j);
void wm_t_jackd_stop(struct wm_jackd *j);

#endif
