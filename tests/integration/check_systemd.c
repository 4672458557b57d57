/* check_systemd.c - washmixd as a systemd service, without PID 1 systemd:
 *   - the units pass `systemd-analyze verify`, and washmixd.service scores
 *     an exposure of 2.5 or lower with `systemd-analyze security --offline`
 *     (both skipped with a message where systemd-analyze is absent);
 *   - sd_notify on a NOTIFY_SOCKET of the test's own: READY=1, a STATUS=
 *     health line, WATCHDOG=1 every quarter of WATCHDOG_USEC; pings stop
 *     while the JACK process callback or the control loop is stalled on
 *     purpose (the `debug` test hook) and resume after;
 *   - while JACK is gone and washmixd reconnects, pings go on and STATUS=
 *     says "down"; it says "ok"/"degraded" again once JACK is back;
 *   - the test hook is refused unless WASHMIX_TEST_HOOKS=1;
 *   - every syscall washmixd makes (strace over start, requests, a scene
 *     save, stop) is inside the unit's SystemCallFilter=@system-service and
 *     outside @privileged;
 *   - socket activation under systemd-socket-activate: washmixd takes the
 *     socket, answers on it, leaves the file to its owner, and refuses a
 *     datagram socket.
 * Real jackd (dummy backend), real washmixd. */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/daemon_fixture.h"
#include "tests/support/jackd_fixture.h"
#include "tests/support/proc.h"
#include "tests/support/rtguard_run.h"
#include "tests/support/sockclient.h"
#include "tests/support/suite.h"

#define WATCHDOG_MS 1000
#define STALL_MS 2500
#define MAX_PINGS 512

static struct wm_jackd jackd;

static void up(void)
{
	wm_t_jackd_start(&jackd, wm_tmpdir());
}

static void down(void)
{
	wm_t_jackd_stop(&jackd);
}

/* A program in PATH, or NULL. */
static const char *find_program(const char *name)
{
	static char found[PATH_MAX];
	const char *path = getenv("PATH");
	char dirs[4096];
	snprintf(dirs, sizeof dirs, "%s", path ? path : "/usr/bin:/bin");
	for (char *save, *dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		snprintf(found, sizeof found, "%s/%s", dir, name);
		if (access(found, X_OK) == 0)
			return found;
	}
	return NULL;
}

struct run {
	int status;          /* exit status, -1 when killed by a signal */
	char *out;           /* stdout and stderr together */
};

/* Run argv to completion (30 s at most), output captured. */
static void run(struct run *r, const char *const argv[])
{
	static int n;
	char log[PATH_MAX], why[256];
	snprintf(log, sizeof log, "%s/run-%d-%d.log", wm_tmpdir(), (int)getpid(), ++n);
	struct wm_proc *p = wm_proc_spawn(argv, NULL, log, log, why, sizeof why);
	ck_assert_msg(p, "cannot start %s: %s", argv[0], why);
	int status;
	if (wm_proc_wait(p, 30000, &status) < 0) {
		wm_proc_stop(p, SIGKILL, 1000, &status);
		ck_abort_msg("%s did not finish within 30 s", argv[0]);
	}
	wm_proc_release(p);
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	r->out = wm_file_read(log, NULL);
	if (!r->out)
		r->out = strdup("");
}

START_TEST(test_units_pass_systemd_analyze_verify)
{
	const char *analyze = find_program("systemd-analyze");
	if (!analyze) {
		printf("SKIP: systemd-analyze is not installed (Debian package systemd); "
		       "units not verified\n");
		return;
	}
	/* The build-tree copies name the built washmixd: verify wants every
	 * ExecStart binary to exist. */
	const char *argv[] = { analyze, "verify", "--man=no",
			       WM_UNIT_DIR "/build-tree/washmixd.service",
			       WM_UNIT_DIR "/build-tree/washmixd.socket",
			       WM_UNIT_DIR "/build-tree/washmix-jackd.service", NULL };
	struct run r;
	run(&r, argv);
	ck_assert_msg(r.status == 0 && r.out[0] == '\0',
		      "systemd-analyze verify: exit %d, want 0 and no output:\n%s", r.status, r.out);
	free(r.out);
}
END_TEST

/* The "Overall exposure level for X: 1.3 OK" figure, or -1. */
static double exposure_of(const char *out)
{
	const char *at = strstr(out, "Overall exposure level for ");
	const char *colon = at ? strchr(at, ':') : NULL;
	double v;
	return colon && sscanf(colon + 1, "%lf", &v) == 1 ? v : -1;
}

static void check_exposure(const char *analyze, const char *unit, double max)
{
	const char *argv[] = { analyze, "security", "--offline=true", "--threshold=25", unit,
			       NULL };
	struct run r;
	run(&r, argv);
	double exposure = exposure_of(r.out);
	printf("exposure of %s: %.1f (threshold 2.5)\n", unit, exposure);
	ck_assert_msg(exposure >= 0, "no exposure figure in the output of %s:\n%.1500s", unit,
		      r.out);
	size_t len = strlen(r.out);
	const char *tail = len > 1500 ? r.out + len - 1500 : r.out;  /* Check caps messages */
	ck_assert_msg(r.status == 0 && exposure <= max,
		      "%s: exposure %.1f, exit %d; want <= %.1f and exit 0; the last lines:\n%s",
		      unit, exposure, r.status, max, tail);
	free(r.out);
}

START_TEST(test_service_exposure_at_most_2_5)
{
	const char *analyze = find_program("systemd-analyze");
	if (!analyze) {
		printf("SKIP: systemd-analyze is not installed (Debian package systemd); "
		       "exposure not measured\n");
		return;
	}
	/* The installed copy, exactly as `cmake --install` puts it. */
	check_exposure(analyze, WM_UNIT_DIR "/washmixd.service", 2.5);
	check_exposure(analyze, WM_UNIT_DIR "/washmix-jackd.service", 2.5);
}
END_TEST

/* --- sd_notify ------------------------------------------------------- */

/* What arrived on the test's NOTIFY_SOCKET, with arrival times. */
struct notes {
	int fd;
	char path[108];
	long long ready_ms;                 /* -1: no READY=1 yet */
	char status[256];                   /* the last STATUS= */
	int nstatus;
	long long ping_ms[MAX_PINGS];
	int npings;
	bool stopping;
};

static void notes_open(struct notes *n)
{
	memset(n, 0, sizeof *n);
	n->ready_ms = -1;
	snprintf(n->path, sizeof n->path, "%s/notify-%d.sock", wm_tmpdir(), (int)getpid());
	unlink(n->path);
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(n->fd, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", n->path);
	ck_assert_msg(bind(n->fd, (struct sockaddr *)&sa, sizeof sa) == 0, "bind %s: %s", n->path,
		      strerror(errno));
}

static void note_line(struct notes *n, const char *line, long long now)
{
	if (strcmp(line, "READY=1") == 0 && n->ready_ms < 0)
		n->ready_ms = now;
	else if (strcmp(line, "WATCHDOG=1") == 0 && n->npings < MAX_PINGS)
		n->ping_ms[n->npings++] = now;
	else if (strcmp(line, "STOPPING=1") == 0)
		n->stopping = true;
	else if (strncmp(line, "STATUS=", 7) == 0) {
		snprintf(n->status, sizeof n->status, "%s", line + 7);
		n->nstatus++;
	}
}

/* Take messages for ms milliseconds. */
static void notes_collect(struct notes *n, int ms)
{
	long long until = wm_now_ms() + ms;
	for (long long now = wm_now_ms(); now < until; now = wm_now_ms()) {
		struct pollfd p = { .fd = n->fd, .events = POLLIN };
		if (poll(&p, 1, (int)(until - now)) != 1)
			continue;
		char buf[1024];
		ssize_t len = recv(n->fd, buf, sizeof buf - 1, 0);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		now = wm_now_ms();
		for (char *save, *line = strtok_r(buf, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			note_line(n, line, now);
	}
}

/* The longest silence between pings from index `from` on. */
static long long max_gap(const struct notes *n, int from, long long *at)
{
	long long gap = 0;
	for (int i = from + 1; i < n->npings; i++) {
		if (n->ping_ms[i] - n->ping_ms[i - 1] > gap) {
			gap = n->ping_ms[i] - n->ping_ms[i - 1];
			if (at)
				*at = n->ping_ms[i - 1];
		}
	}
	return gap;
}

static void start_notified(struct wm_daemon *d, struct notes *n, bool hooks)
{
	notes_open(n);
	setenv("NOTIFY_SOCKET", n->path, 1);
	setenv("WATCHDOG_USEC", "1000000", 1);
	if (hooks)
		setenv("WASHMIX_TEST_HOOKS", "1", 1);
	else
		unsetenv("WASHMIX_TEST_HOOKS");
	wm_t_daemon_start(d, wm_tmpdir(), 2, 1, NULL, NULL);
}

#ifdef WASHMIX_TEST_HOOKS
static bool log_has(const struct wm_daemon *d, const char *what)
{
	char *log = wm_file_read(d->log, NULL);
	bool has = log && strstr(log, what);
	free(log);
	return has;
}
#endif

START_TEST(test_ready_status_and_watchdog_pings)
{
	struct wm_daemon d = { 0 };
	struct notes n;
	start_notified(&d, &n, false);
	notes_collect(&n, 3000);
	ck_assert_msg(n.ready_ms >= 0, "no READY=1 on NOTIFY_SOCKET");
	ck_assert_msg(strstr(n.status, "48000 Hz/256") && strstr(n.status, " xruns, cache off, "
								   "0 playing"),
		      "STATUS=%s: want \"ok: 48000 Hz/256, N xruns, cache off, 0 playing\"",
		      n.status);
	/* A ping every 250 ms: at least 6 in 3 s, never a silence near 1 s. */
	long long gap = max_gap(&n, 0, NULL);
	printf("%d pings in 3 s, longest gap %lld ms, STATUS=%s\n", n.npings, gap, n.status);
	ck_assert_msg(n.npings >= 6, "%d WATCHDOG=1 in 3 s with WATCHDOG_USEC=1 s; want >= 6",
		      n.npings);
	ck_assert_msg(gap < WATCHDOG_MS, "a %lld ms gap between pings; systemd would abort at "
		      "%d ms", gap, WATCHDOG_MS);
	wm_t_daemon_stop(&d);
	notes_collect(&n, 200);
	ck_assert_msg(n.stopping, "no STOPPING=1 on SIGTERM");
	close(n.fd);
}
END_TEST

/* Its own jackd: this test stops it. */
START_TEST(test_pings_go_on_while_jack_is_down)
{
	struct wm_jackd own = { 0 };
	wm_t_jackd_start(&own, wm_tmpdir());
	struct wm_daemon d = { 0 };
	struct notes n;
	start_notified(&d, &n, false);
	notes_collect(&n, 1000);
	wm_t_jackd_kill(&own, SIGTERM);
	json_decref(wm_daemon_wait_jack(&d, false, 5000));
	int before = n.npings;
	notes_collect(&n, 3000);
	long long gap = max_gap(&n, before - 1, NULL);
	printf("JACK down: %d pings in 3 s, longest gap %lld ms, STATUS=%s\n",
	       n.npings - before, gap, n.status);
	ck_assert_msg(strncmp(n.status, "down: no JACK (server ", 22) == 0 &&
			      strstr(n.status, "), reconnecting, "),
		      "STATUS=%s while JACK is gone; want \"down: no JACK (server ...), "
		      "reconnecting, ...\"", n.status);
	ck_assert_msg(n.npings - before >= 6 && gap < WATCHDOG_MS,
		      "%d pings, longest gap %lld ms while JACK was down; a restart cannot fix "
		      "jackd, so they should go on", n.npings - before, gap);
	wm_t_jackd_start_again(&own);
	json_t *h = wm_daemon_wait_jack(&d, true, 10000);
	ck_assert_msg(h, "washmixd did not reconnect");
	json_decref(h);
	notes_collect(&n, 1500);
	ck_assert_msg(strncmp(n.status, "down", 4) != 0, "STATUS=%s after JACK came back",
		      n.status);
	wm_t_daemon_stop(&d);
	close(n.fd);
	wm_t_jackd_stop(&own);
}
END_TEST

#ifdef WASHMIX_TEST_HOOKS
/* Stall one side for STALL_MS and check the pings stop for longer than the
 * watchdog interval, then resume. */
static void check_stall_stops_pings(const char *what)
{
	struct wm_daemon d = { 0 };
	struct notes n;
	start_notified(&d, &n, true);
	notes_collect(&n, 1500);
	ck_assert_msg(n.npings >= 3, "only %d pings before the stall", n.npings);
	int before = n.npings;
	struct wm_client *c = wm_client_connect(d.sock, 2000);
	ck_assert_msg(c, "connect %s: %s", d.sock, strerror(errno));
	ck_assert_int_eq(wm_client_sendf(c, "debug %s %d", what, STALL_MS), 0);
	long long asked = wm_now_ms();
	notes_collect(&n, STALL_MS + 2500);
	json_t *r = wm_client_read_reply(c, 1000, NULL, NULL);
	wm_t_assert_ok(r, "debug stall");
	json_decref(r);
	wm_client_close(c);
	long long at = 0, gap = max_gap(&n, before - 1, &at);
	int after = 0;
	for (int i = 0; i < n.npings; i++)
		after += n.ping_ms[i] > at + gap;
	printf("%s %d ms: pings stopped for %lld ms (from %lld ms after asking), %d pings "
	       "after\n", what, STALL_MS, gap, at - asked, after);
	ck_assert_msg(gap > WATCHDOG_MS + 500, "%s: longest gap between pings %lld ms; want > "
		      "%d (the watchdog interval) while stalled %d ms", what, gap, WATCHDOG_MS,
		      STALL_MS);
	ck_assert_msg(gap < STALL_MS + 1500, "%s: pings stopped for %lld ms, far longer than "
		      "the %d ms stall", what, gap, STALL_MS);
	ck_assert_msg(after >= 3, "%s: %d pings after the stall; want them to resume", what,
		      after);
	if (strcmp(what, "stall-engine") == 0)
		ck_assert_msg(log_has(&d, "event=watchdog.withheld"),
			      "no watchdog.withheld line in the daemon log");
	wm_t_daemon_alive(&d, "a stall");
	wm_t_daemon_stop(&d);
	close(n.fd);
}

START_TEST(test_stalled_process_callback_stops_pings)
{
	check_stall_stops_pings("stall-engine");
}
END_TEST

START_TEST(test_stalled_control_loop_stops_pings)
{
	check_stall_stops_pings("stall-control");
}
END_TEST

START_TEST(test_hooks_refused_unless_enabled)
{
	struct wm_daemon d = { 0 };
	struct notes n;
	start_notified(&d, &n, false);
	struct wm_client *c = wm_client_connect(d.sock, 2000);
	ck_assert_ptr_nonnull(c);
	json_t *r = wm_t_err(c, "unavailable", "debug stall-engine 100");
	ck_assert_msg(strstr(wm_t_json_str(r), "WASHMIX_TEST_HOOKS=1"),
		      "the refusal should say how to enable the hooks: %s", wm_t_json_str(r));
	json_decref(r);
	json_decref(wm_t_err(c, "out_of_range", "debug stall-engine 10001"));
	json_decref(wm_t_err(c, "wrong_args", "debug sleep 100"));
	wm_client_close(c);
	wm_t_daemon_stop(&d);
	close(n.fd);
}
END_TEST

static double stats_jack(struct wm_client *c, const char *name)
{
	json_t *r = wm_t_assert_ok(wm_t_request(c, "stats"), "stats");
	json_t *v = json_object_get(json_object_get(r, "jack"), name);
	ck_assert_msg(json_is_number(v), "stats jack.%s: %s", name, wm_t_json_str(r));
	double x = json_number_value(v);
	json_decref(r);
	return x;
}

/* engine_load_peak is the worst callback since the previous stats: a
 * 50 ms stall (~940 % of a 256-frame period) shows once, then the next
 * window is back to normal while engine_load_max keeps it. */
START_TEST(test_engine_load_peak_resets_when_read)
{
	struct wm_daemon d = { 0 };
	struct notes n;
	start_notified(&d, &n, true);
	struct wm_client *c = wm_client_connect(d.sock, 2000);
	ck_assert_ptr_nonnull(c);
	stats_jack(c, "engine_load_peak");
	json_decref(wm_t_assert_ok(wm_t_request(c, "debug stall-engine 50"), "debug stall"));
	usleep(300 * 1000);
	double peak = stats_jack(c, "engine_load_peak");
	usleep(300 * 1000);
	double next = stats_jack(c, "engine_load_peak");
	double max = stats_jack(c, "engine_load_max");
	printf("engine_load_peak: %.1f %% over the stall, %.1f %% after; max %.1f %%\n", peak,
	       next, max);
	ck_assert_msg(peak >= 900, "engine_load_peak %.1f %% over a 50 ms stall; want >= 900", peak);
	ck_assert_msg(next < 500, "engine_load_peak %.1f %% in the window after; it should reset",
		      next);
	ck_assert_msg(max >= peak, "engine_load_max %.1f %% < the peak %.1f %%", max, peak);
	wm_client_close(c);
	wm_t_daemon_stop(&d);
	close(n.fd);
}
END_TEST
#endif

/* --- the unit's syscall filter --------------------------------------- */

/* Is name (a syscall or @group) in group, following nested groups, in the
 * text of `systemd-analyze syscall-filter` (groups at column 0, members
 * indented, a blank line after each group)? */
static bool in_group(const char *filters, const char *group, const char *name, int depth)
{
	char head[64];
	snprintf(head, sizeof head, "\n%s\n", group);
	const char *at = strncmp(filters, head + 1, strlen(head + 1)) == 0 ? filters
									   : strstr(filters, head);
	if (!at || depth > 8)
		return false;
	at = strchr(at + 1, '\n') + 1;
	while (*at == ' ') {
		const char *end = strchr(at, '\n');
		size_t len = end ? (size_t)(end - at) : strlen(at);
		char member[64];
		while (len && *at == ' ')
			at++, len--;
		snprintf(member, sizeof member, "%.*s", (int)len, at);
		if (strcmp(member, name) == 0 ||
		    (member[0] == '@' && in_group(filters, member, name, depth + 1)))
			return true;
		if (!end)
			break;
		at = end + 1;
	}
	return false;
}

/* Run washmixd under strace -f through start, requests, a scene save and a
 * stop; returns the trace (malloc'd). */
static char *trace_daemon(const char *strace)
{
	char dir[PATH_MAX], sock[108], trace[PATH_MAX + 16], log[PATH_MAX + 16],
	     state[PATH_MAX + 16], client[64], notify[PATH_MAX + 32], why[256];
	snprintf(dir, sizeof dir, "%s/strace-%d", wm_tmpdir(), (int)getpid());
	mkdir(dir, 0700);
	ck_assert_msg(strlen(dir) <= 96, "scratch path %s too long for a socket", dir);
	snprintf(sock, sizeof sock, "%.96s/c.sock", dir);
	snprintf(trace, sizeof trace, "%s/trace.txt", dir);
	snprintf(log, sizeof log, "%s/washmixd.log", dir);
	snprintf(state, sizeof state, "%s/state", dir);
	snprintf(client, sizeof client, "washmix-st-%d", (int)getpid());
	struct notes n;
	notes_open(&n);
	snprintf(notify, sizeof notify, "NOTIFY_SOCKET=%s", n.path);
	const char *env[] = { notify, "WATCHDOG_USEC=1000000", NULL };
	const char *argv[32] = { strace, "-f", "-qq", "-o", trace };
	int k = wm_t_rtguard_launcher_args(argv, 5, 32);
	const char *rest[] = { wm_daemon_binary(), "--socket", sock, "--state-dir", state,
			       "--osc-port", "0", "--redis", "none", "--jack-client", client,
			       wm_t_root_flag(), NULL };
	for (int i = 0; rest[i]; i++)
		argv[k++] = rest[i];
	argv[k] = NULL;
	long log_from = wm_t_log_size(log);
	struct wm_proc *p = wm_proc_spawn(argv, env, log, log, why, sizeof why);
	ck_assert_msg(p, "cannot start strace: %s", why);
	struct wm_client *c = wm_client_connect(sock, 10000);
	ck_assert_msg(c, "washmixd under strace did not open %s; log:\n%s", sock,
		      wm_file_tail(log, 1500));
	wm_t_ok(c, "health");
	wm_t_ok(c, "set ch/1/gain -3");
	wm_t_ok(c, "scene save traced");
	wm_t_ok(c, "stats");
	wm_client_close(c);
	notes_collect(&n, 1500);  /* a few watchdog ticks */
	close(n.fd);
	/* strace -o writes "PID execve(...)" first: that PID is washmixd. */
	char *text = wm_file_read(trace, NULL);
	int pid = text ? atoi(text) : 0;
	ck_assert_msg(pid > 0, "no PID in %s", trace);
	free(text);
	kill(pid, SIGTERM);
	int status;
	ck_assert_msg(wm_proc_wait(p, 10000, &status) == 0, "washmixd under strace did not stop");
	wm_proc_release(p);
	wm_t_rtguard_check(log, log_from, WM_T_RTG_EXITED_LIVE, "washmixd under strace");
	return wm_file_read(trace, NULL);
}

START_TEST(test_syscalls_inside_the_units_filter)
{
	const char *found = find_program("strace");
	char strace[PATH_MAX];
	snprintf(strace, sizeof strace, "%s", found ? found : "");
	const char *analyze = find_program("systemd-analyze");
	if (!found || !analyze) {
		printf("SKIP: strace or systemd-analyze is missing; syscall filter not checked\n");
		return;
	}
	const char *argv[] = { analyze, "syscall-filter", NULL };
	struct run r;
	run(&r, argv);
	ck_assert_msg(r.status == 0 && strstr(r.out, "@system-service"),
		      "systemd-analyze syscall-filter: exit %d", r.status);
	char *trace = trace_daemon(strace);
	ck_assert_ptr_nonnull(trace);
	int used = 0;
	char seen[8192] = " ";
	for (char *save, *line = strtok_r(trace, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[64], key[70];
		if (sscanf(line, "%*d %63[a-z0-9_](", name) != 1 || !strchr(line, '('))
			continue;
		snprintf(key, sizeof key, " %s ", name);
		if (strstr(seen, key))
			continue;
		used++;
		snprintf(seen + strlen(seen), sizeof seen - strlen(seen), "%s ", name);
		ck_assert_msg(in_group(r.out, "@system-service", name, 0),
			      "washmixd calls %s, which SystemCallFilter=@system-service forbids",
			      name);
		ck_assert_msg(!in_group(r.out, "@privileged", name, 0),
			      "washmixd calls %s, which SystemCallFilter=~@privileged forbids", name);
	}
	printf("%d distinct syscalls, all in @system-service, none in @privileged:%s\n", used,
	       seen);
	ck_assert_msg(used >= 20, "only %d syscalls parsed from the strace output", used);
	free(trace);
	free(r.out);
}
END_TEST

/* --- socket activation ----------------------------------------------- */

struct activated {
	char dir[PATH_MAX];
	char sock[108];
	char log[PATH_MAX + 16];
	long log_from;
	struct wm_proc *proc;
};

/* washmixd under systemd-socket-activate on dir/act.sock (a datagram
 * socket when datagram). The tool execs washmixd at the first client. */
static void activate(struct activated *a, const char *tool, bool datagram)
{
	static int n;
	snprintf(a->dir, sizeof a->dir, "%s/act-%d-%d", wm_tmpdir(), (int)getpid(), ++n);
	mkdir(a->dir, 0700);
	ck_assert_msg(strlen(a->dir) <= 96, "scratch path %s too long for a socket", a->dir);
	snprintf(a->sock, sizeof a->sock, "%.96s/act.sock", a->dir);
	snprintf(a->log, sizeof a->log, "%s/washmixd.log", a->dir);
	char state[PATH_MAX + 16], client[64];
	snprintf(state, sizeof state, "%s/state", a->dir);
	snprintf(client, sizeof client, "washmix-act-%d-%d", (int)getpid(), n);
	const char *argv[40] = { tool, "-l", a->sock };
	int k = 3;
	if (datagram)
		argv[k++] = "--datagram";
	k = wm_t_rtguard_launcher_args(argv, k, 40);
	const char *rest[] = { "-E", "JACK_DEFAULT_SERVER", "-E", "LOG_LEVEL=debug",
			       wm_daemon_binary(), "--socket", a->sock, "--state-dir", state,
			       "--osc-port", "0", "--redis", "none", "--jack-client", client,
			       wm_t_root_flag(), NULL };
	for (int i = 0; rest[i]; i++)
		argv[k++] = rest[i];
	argv[k] = NULL;
	char why[256];
	a->log_from = wm_t_log_size(a->log);
	a->proc = wm_proc_spawn(argv, NULL, a->log, a->log, why, sizeof why);
	ck_assert_msg(a->proc, "cannot start %s: %s", tool, why);
	struct stat st;
	long long until = wm_now_ms() + 5000;
	while (lstat(a->sock, &st) < 0 && wm_now_ms() < until)
		wm_sleep_ms(20);
	ck_assert_msg(S_ISSOCK(st.st_mode), "%s did not create %s", tool, a->sock);
}

START_TEST(test_socket_activation)
{
	const char *tool = find_program("systemd-socket-activate");
	if (!tool) {
		printf("SKIP: systemd-socket-activate is not installed (Debian package systemd)\n");
		return;
	}
	struct activated a;
	activate(&a, tool, false);
	/* The first connection makes the tool exec washmixd, which accepts it
	 * once it is up. */
	struct wm_client *c = wm_client_connect(a.sock, 2000);
	ck_assert_msg(c, "connect %s: %s", a.sock, strerror(errno));
	json_t *r = wm_client_request(c, 10000, "health");
	char *log = wm_file_read(a.log, NULL);
	ck_assert_msg(r && json_is_true(json_object_get(r, "ok")),
		      "no health answer on the activated socket; log:\n%s", log ? log : "");
	ck_assert_msg(json_is_true(json_object_get(json_object_get(r, "jack"), "connected")),
		      "not connected to JACK: %s", wm_t_json_str(r));
	json_decref(r);
	wm_client_close(c);
	free(log);
	/* A second client, on the same socket. */
	r = wm_t_request1(a.sock, "hello");
	wm_t_assert_ok(r, "hello on the activated socket");
	json_decref(r);
	log = wm_file_read(a.log, NULL);
	char want[256];
	snprintf(want, sizeof want, "event=sock.activated fd=3 path=\"%s\"", a.sock);
	ck_assert_msg(log && strstr(log, want), "no \"%s\" in the log:\n%s", want,
		      log ? log : "");
	free(log);
	int status;
	ck_assert_int_eq(wm_proc_stop(a.proc, SIGTERM, 5000, &status), 0);
	wm_proc_release(a.proc);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit status %d", status);
	wm_t_rtguard_check(a.log, a.log_from, WM_T_RTG_EXITED_LIVE, "socket-activated washmixd");
	/* The socket is systemd's (RemoveOnStop= decides): washmixd leaves it. */
	struct stat st;
	ck_assert_msg(lstat(a.sock, &st) == 0, "washmixd removed %s, which systemd owns", a.sock);
}
END_TEST

START_TEST(test_socket_activation_refuses_a_datagram_socket)
{
	const char *tool = find_program("systemd-socket-activate");
	if (!tool) {
		printf("SKIP: systemd-socket-activate is not installed (Debian package systemd)\n");
		return;
	}
	struct activated a;
	activate(&a, tool, true);
	/* A datagram wakes the tool up, which execs washmixd. */
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", a.sock);
	ck_assert_int_eq(sendto(fd, "x", 1, 0, (struct sockaddr *)&sa, sizeof sa), 1);
	close(fd);
	int status;
	ck_assert_msg(wm_proc_wait(a.proc, 10000, &status) == 0,
		      "washmixd kept running on a datagram socket");
	wm_proc_release(a.proc);
	char *log = wm_file_read(a.log, NULL);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 78,
		      "exit status %d, want 78 (EX_CONFIG); log:\n%s", status, log ? log : "");
	ck_assert_msg(log && strstr(log, "not a listening Unix stream socket"),
		      "the error should say what was wrong; log:\n%s", log ? log : "");
	free(log);
	wm_t_rtguard_check(a.log, a.log_from, WM_T_RTG_EXITED, "socket-activated washmixd");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("systemd");
	TCase *units = tcase_create("units");
	tcase_set_timeout(units, 60);
	tcase_add_test(units, test_units_pass_systemd_analyze_verify);
	tcase_add_test(units, test_service_exposure_at_most_2_5);
	suite_add_tcase(s, units);

	TCase *tc = tcase_create("daemon");
	tcase_add_unchecked_fixture(tc, up, down);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_ready_status_and_watchdog_pings);
	tcase_add_test(tc, test_syscalls_inside_the_units_filter);
#ifdef WASHMIX_TEST_HOOKS
	tcase_add_test(tc, test_stalled_process_callback_stops_pings);
	tcase_add_test(tc, test_stalled_control_loop_stops_pings);
	tcase_add_test(tc, test_hooks_refused_unless_enabled);
	tcase_add_test(tc, test_engine_load_peak_resets_when_read);
#else
	printf("SKIP: built without WASHMIX_TEST_HOOKS: the watchdog stall tests need it\n");
#endif
	tcase_add_test(tc, test_socket_activation);
	tcase_add_test(tc, test_pings_go_on_while_jack_is_down);
	tcase_add_test(tc, test_socket_activation_refuses_a_datagram_socket);
	suite_add_tcase(s, tc);
	return wm_t_run_suite(s);
}
