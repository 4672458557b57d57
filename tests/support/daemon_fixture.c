/* daemon_fixture.c - start, probe and stop washmixd.
 *
 * Start-up is watched from the outside only: the process must stay alive,
 * the socket must accept, `health` must report JACK connected. Any failure
 * kills the daemon (SIGKILL after SIGTERM) and fails the test with the log
 * tail, so a fixture problem is an error with a reason, never a skip.
 * Runs on the test thread of the process that owns the daemon. */
#include "tests/support/daemon_fixture.h"
#include "tests/support/jackprobe.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/audiocheck.h"
#include "tests/support/rtguard_run.h"
#include "tests/support/sockclient.h"

#define LOG_TAIL_BYTES 3000

static int instances;

const char *wm_daemon_port(const struct wm_daemon *d, const char *port)
{
	static char bufs[8][128];
	static int next;
	char *b = bufs[next++ % 8];

	snprintf(b, sizeof bufs[0], "%s:%s", d->client, port);
	return b;
}

const char *wm_t_root_flag(void)
{
	return geteuid() == 0 ? "--allow-root" : "--allow-root=no";
}

const char *wm_daemon_binary(void)
{
	const char *e = getenv("WASHMIXD");

	return e && *e ? e : WASHMIXD_PATH;
}

const char *wm_cli_binary(void)
{
	const char *e = getenv("WASHMIX_CLI");

	return e && *e ? e : WASHMIX_CLI_PATH;
}

char *wm_daemon_log_tail(const struct wm_daemon *d)
{
	return wm_file_tail(d->log, LOG_TAIL_BYTES);
}

static void fail_with_log(struct wm_daemon *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fail_with_log(struct wm_daemon *d, const char *fmt, ...)
{
	char *tail = wm_daemon_log_tail(d), msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (d->proc) {
		wm_proc_stop(d->proc, SIGTERM, 2000, NULL);
		wm_proc_release(d->proc);
		d->proc = NULL;
	}
	ck_abort_msg("washmixd (%s, socket %s): %s\n--- daemon log tail ---\n%s",
		     d->path, d->sock, msg, tail);
	free(tail);
}

static bool jack_connected(json_t *health)
{
	json_t *jack = json_object_get(health, "jack");

	return json_is_object(jack) && json_is_true(json_object_get(jack, "connected"));
}

json_t *wm_daemon_wait_jack(struct wm_daemon *d, bool want, int timeout_ms)
{
	long long deadline = wm_now_ms() + timeout_ms;
	json_t *last = NULL;

	for (;;) {
		struct wm_client *c;

		if (d->proc && !wm_proc_alive(d->proc))
			return last;
		c = wm_client_connect(d->sock, 0);
		if (c) {
			json_t *r = wm_client_request(c, 2000, "health");

			wm_client_close(c);
			if (r) {
				json_decref(last);
				last = r;
				if (json_is_true(json_object_get(r, "ok")) &&
				    jack_connected(r) == want)
					return last;
			}
		}
		if (wm_now_ms() > deadline)
			return last;
		wm_sleep_ms(50);
	}
}

/* Start in d->dir, which exists (the rest of *d is zero). */
static void start_in_dir(struct wm_daemon *d, int channels, int zones, const char *mono,
			 const char *const extra[])
{
	const char *argv[64];
	char ch[16], zo[16], state[PATH_MAX + 32], home[PATH_MAX + 16], err[1024],
	     status[96];
	const char *env[8] = { "LOG_LEVEL=debug", state, home, NULL };
	int n = 0;
	json_t *h;

	ck_assert_msg(strlen(d->dir) + sizeof "/control.sock" <= sizeof d->sock,
		      "socket path too long under %s", d->dir);
	snprintf(d->sock, sizeof d->sock, "%s/control.sock", d->dir);
	snprintf(d->log, sizeof d->log, "%s/washmixd.log", d->dir);
	snprintf(d->path, sizeof d->path, "%s", wm_daemon_binary());
	snprintf(d->client, sizeof d->client, "washmix-%d-%d", (int)getpid(), ++instances);
	snprintf(state, sizeof state, "STATE_DIRECTORY=%s/state", d->dir);
	snprintf(home, sizeof home, "HOME=%s", d->dir);
	mkdir(state + strlen("STATE_DIRECTORY="), 0755);
	snprintf(ch, sizeof ch, "%d", channels);
	snprintf(zo, sizeof zo, "%d", zones);
	d->channels = channels;
	d->zones = zones;
	ck_assert_msg(access(d->path, X_OK) == 0, "washmixd binary %s: %s (build the "
		      "daemon first, or set WASHMIXD)", d->path, strerror(errno));

	argv[n++] = d->path;
	argv[n++] = "--socket";
	argv[n++] = d->sock;
	argv[n++] = "--channels";
	argv[n++] = ch;
	argv[n++] = "--zones";
	argv[n++] = zo;
	if (mono) {
		argv[n++] = "--mono";
		argv[n++] = mono;
	}
	argv[n++] = "--jack-client";
	argv[n++] = d->client;
	argv[n++] = "--osc-port";
	argv[n++] = "0";
	argv[n++] = "--redis";
	argv[n++] = "none";
	argv[n++] = wm_t_root_flag();
	for (int i = 0; extra && extra[i] && n < 62; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	wm_t_rtguard_env(env, 3, 8);
	d->log_from = wm_t_log_size(d->log);

	d->proc = wm_proc_spawn(argv, env, d->log, d->log, err, sizeof err);
	if (!d->proc)
		fail_with_log(d, "cannot start: %s", err);
	h = wm_daemon_wait_jack(d, true, WM_T_READY_TIMEOUT_MS);
	if (!wm_proc_alive(d->proc)) {
		json_decref(h);
		fail_with_log(d, "exited during start-up (%s)",
			      wm_proc_status_str(d->proc->status, status, sizeof status));
	}
	if (!h || !jack_connected(h) || !json_is_true(json_object_get(h, "ok"))) {
		char last[600];

		snprintf(last, sizeof last, "%s", h ? wm_t_json_str(h) :
			 "no health reply at all (socket not accepting or not answering)");
		json_decref(h);
		fail_with_log(d, "not ready within 10 s; last health reply: %s", last);
	}
	d->latency = (uint32_t)json_integer_value(
		json_object_get(json_object_get(h, "jack"), "latency_frames"));
	wm_t_output_delay = d->latency;
	json_decref(h);
}

void wm_t_daemon_start(struct wm_daemon *d, const char *base, int channels, int zones,
		       const char *mono, const char *const extra[])
{
	memset(d, 0, sizeof *d);
	ck_assert_msg(base != NULL, "no temporary directory");
	snprintf(d->dir, sizeof d->dir, "%s/wmd.XXXXXX", base);
	ck_assert_msg(mkdtemp(d->dir) != NULL, "mkdtemp %s: %s", d->dir, strerror(errno));
	start_in_dir(d, channels, zones, mono, extra);
}

void wm_t_daemon_start_in(struct wm_daemon *d, const char *dir, int channels, int zones,
			  const char *mono, const char *const extra[])
{
	memset(d, 0, sizeof *d);
	ck_assert_msg(dir != NULL && strlen(dir) < sizeof d->dir, "bad daemon directory");
	snprintf(d->dir, sizeof d->dir, "%s", dir);
	ck_assert_msg(mkdir(d->dir, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", d->dir,
		      strerror(errno));
	start_in_dir(d, channels, zones, mono, extra);
}

void wm_t_daemon_kill(struct wm_daemon *d)
{
	int status = 0;

	if (!d->proc)
		return;
	wm_proc_stop(d->proc, SIGKILL, 5000, &status);
	wm_proc_release(d->proc);
	d->proc = NULL;
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		      "washmixd (%s) was not killed by SIGKILL: wait status 0x%x", d->sock,
		      (unsigned)status);
	wm_t_rtguard_check(d->log, d->log_from, WM_T_RTG_KILLED, "washmixd (killed)");
}

void wm_t_daemon_alive(struct wm_daemon *d, const char *after)
{
	char status[96];

	ck_assert_msg(d->proc != NULL, "washmixd is not running (%s)", after);
	if (wm_proc_alive(d->proc))
		return;
	fail_with_log(d, "died %s (%s)", after,
		      wm_proc_status_str(d->proc->status, status, sizeof status));
}

void wm_t_daemon_stop(struct wm_daemon *d)
{
	char status_s[96];
	int status = 0, rc;
	struct stat st;

	if (!d->proc)
		return;
	if (!wm_proc_alive(d->proc))
		fail_with_log(d, "had already exited (%s) when the test stopped it",
			      wm_proc_status_str(d->proc->status, status_s, sizeof status_s));
	rc = wm_proc_stop(d->proc, SIGTERM, 5000, &status);
	wm_proc_release(d->proc);
	d->proc = NULL;
	wm_proc_status_str(status, status_s, sizeof status_s);
	if (rc != 0)
		fail_with_log(d, "did not exit within 5 s of SIGTERM (killed: %s)", status_s);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_with_log(d, "SIGTERM: exit status %s, want exit 0", status_s);
	if (lstat(d->sock, &st) == 0)
		fail_with_log(d, "exited but left its socket file %s behind", d->sock);
	wm_t_rtguard_check(d->log, d->log_from, WM_T_RTG_EXITED_LIVE, "washmixd");
}

void wm_t_connect_zones(struct wm_src *s, const struct wm_daemon *d, struct wm_sink *k,
			int zones)
{
	char port[32];

	for (int z = 1; z <= zones; z++) {
		snprintf(port, sizeof port, "zone%d_L", z);
		wm_t_connect(s, wm_daemon_port(d, port), wm_sink_port(k, 2 * z - 1));
		snprintf(port, sizeof port, "zone%d_R", z);
		wm_t_connect(s, wm_daemon_port(d, port), wm_sink_port(k, 2 * z));
	}
}
