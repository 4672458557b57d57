/* soak.c - the soak: washmixd with 64 channels into 8 zones, fed by a
 * signal source on a running JACK server, beside the baseline passthrough
 * client, under the workload of soak_load.c for a given time; then a table
 * and a JSON file of what was measured, and a verdict (the pass criteria
 * are in docs/reliability.md, "Soak").
 *
 * usage: soak --seconds N --jackd-log PATH --redis HOST:PORT --json PATH
 *             [--realtime yes|no] [--stall-ms MS] [--passthru PATH]
 * --stall-ms is the negative control of the xrun check: the engine is made
 * to spin MS in its process callback once a second, which must fail it.
 * The JACK server is $JACK_DEFAULT_SERVER and jackd's log is read for its
 * xrun blame lines: scripts/soak starts both servers and passes them in.
 * One Check test (fork mode) on the main thread; the workers are threads. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/soak/soak_load.h"
#include "tests/soak/soak_report.h"
#include "tests/soak/soak_watch.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/jackprobe.h"
#include "tests/support/oscclient.h"
#include "tests/support/rtguard_run.h"
#include "tests/support/sockclient.h"
#include "tests/support/suite.h"

#ifndef JACK_PASSTHRU_PATH
#define JACK_PASSTHRU_PATH "jack_passthru"
#endif

#define CHANNELS 64
#define ZONES 8
#define SOURCE_PORTS 32
#define OSC_RATE 1000           /* messages a second per source */
#define SETGET_RATE 200         /* set+get pairs a second */
#define RENDER_EVERY_MS 3000
#define SAMPLE_MS 5000
#define SETTLE_MS 3000          /* JACK reports xruns for a graph change */
#define RSS_GROWTH_MAX_KIB 2048
#define XRUN_SLACK 3            /* small counts, see docs/reliability.md */

static struct {
	long seconds;
	const char *jackd_log, *redis, *json, *passthru;
	bool realtime;          /* the JACK server runs -R (informational) */
	int stall_ms;           /* the negative control: see soak_target */
} opt = { 60, NULL, NULL, "soak.json", JACK_PASSTHRU_PATH, false, 0 };

struct rig {
	struct wm_daemon d;
	struct wm_src *src;
	struct soak_passthru *thru;
	char thru_name[64], dir[4096];
	int osc_port;
	long log_from;
};

struct xrun_mark {
	long washmixd, passthru;
};

/* ------------------------------------------------------------ set-up */

static void start_source(struct rig *r)
{
	r->src = wm_t_src_open(NULL, SOURCE_PORTS);
	for (int p = 1; p <= SOURCE_PORTS; p++)
		wm_src_stage(r->src, p, wm_sig_sine(100u + 37u * (unsigned)p, 0.05f));
	wm_t_commit(r->src);
}

static void connect_port(struct rig *r, const char *from, const char *to)
{
	char err[512];

	ck_assert_msg(wm_probe_connect(r->src, from, to, err, sizeof err) == 0, "%s", err);
}

static void start_passthru(struct rig *r)
{
	char err[512], to[96];

	snprintf(r->thru_name, sizeof r->thru_name, "soak-passthru-%d", (int)getpid());
	r->thru = soak_passthru_start(opt.passthru, getenv("JACK_DEFAULT_SERVER"), r->thru_name,
				      2 * CHANNELS, err, sizeof err);
	ck_assert_msg(r->thru != NULL, "%s", err);
	for (int p = 0; p < 2 * CHANNELS; p++) {
		snprintf(to, sizeof to, "%s:in_%d", r->thru_name, p + 1);
		connect_port(r, wm_src_port(r->src, 1 + p % SOURCE_PORTS), to);
	}
}

static void prepare_state(struct rig *r)
{
	char state[4200], media[4300], err[512];

	snprintf(r->dir, sizeof r->dir, "%s/soak", wm_tmpdir());
	snprintf(state, sizeof state, "%s/state", r->dir);
	snprintf(media, sizeof media, "%s/media", state);
	ck_assert_msg(mkdir(r->dir, 0755) == 0 && mkdir(state, 0755) == 0 &&
		      mkdir(media, 0755) == 0, "mkdir %s: %s", media, strerror(errno));
	ck_assert_msg(soak_write_scenes(state, err, sizeof err) == 0, "%s", err);
	soak_write_media(media);
}

/* washmixd connects the source's 32 ports to ch1..ch16 itself
 * (--connect-inputs); the soak feeds ch17..ch64 from the same ports. */
static void start_daemon(struct rig *r)
{
	char port[16], regex[96], port_name[32];
	const char *extra[] = { "--osc-port", port, "--redis", opt.redis, "--log-level", "info",
				"--connect-inputs", regex, NULL };

	if (opt.stall_ms > 0)
		setenv("WASHMIX_TEST_HOOKS", "1", 1);
	r->osc_port = wm_osc_free_port();
	snprintf(port, sizeof port, "%d", r->osc_port);
	snprintf(regex, sizeof regex, "^wmsrc-%d:", (int)getpid());
	wm_t_daemon_start_in(&r->d, r->dir, CHANNELS, ZONES, NULL, extra);
	for (int in = 2 * 16; in < 2 * CHANNELS; in++) {
		snprintf(port_name, sizeof port_name, "ch%d_%c", 1 + in / 2, in % 2 ? 'R' : 'L');
		connect_port(r, wm_src_port(r->src, 1 + in % SOURCE_PORTS),
			     wm_daemon_port(&r->d, port_name));
	}
}

/* ------------------------------------------------------------ probes */

/* `stats`, or an empty object when the daemon does not answer (a dead
 * daemon must still leave a report; the criteria say what went wrong). */
static json_t *daemon_stats(struct rig *r)
{
	struct wm_client *c = wm_client_connect(r->d.sock, 0);
	json_t *s = c ? wm_client_request(c, 5000, "stats") : NULL;

	if (c)
		wm_client_close(c);
	if (s && json_is_true(json_object_get(s, "ok")))
		return s;
	json_decref(s);
	return json_object();
}

static long stat_long(const json_t *s, const char *a, const char *b)
{
	return (long)json_integer_value(json_object_get(json_object_get(s, a), b));
}

static struct xrun_mark xruns_now(struct rig *r, double *engine_max, double *thru_max)
{
	struct xrun_mark m = { 0, 0 };
	json_t *s = daemon_stats(r);
	long periods;

	m.washmixd = stat_long(s, "jack", "xruns");
	*engine_max = json_number_value(json_object_get(json_object_get(s, "jack"),
							"engine_load_max"));
	json_decref(s);
	ck_assert_msg(soak_passthru_poll(r->thru, &m.passthru, &periods, thru_max) == 0,
		      "the passthrough client does not answer");
	return m;
}

/* No render queued or running, then a breath: the state compared at start
 * and end of the measured run (no clients, no jobs, players stopped). */
static void wait_quiet(struct rig *r)
{
	for (long long t0 = wm_now_ms(); wm_now_ms() - t0 < 60000; wm_sleep_ms(200)) {
		json_t *s = daemon_stats(r);
		json_t *jobs = json_object_get(json_object_get(s, "render"), "jobs");
		long busy = (long)(json_integer_value(json_object_get(jobs, "running")) +
				   json_integer_value(json_object_get(jobs, "queued")));

		json_decref(s);
		if (busy == 0)
			break;
	}
	wm_sleep_ms(1500);
}

/* One sample every SAMPLE_MS: own RSS, fds, xruns so far and washmixd's
 * worst process callback since the previous `stats` (engine_load_peak). */
static json_t *sample(struct rig *r, double t_s, double *peak_max)
{
	json_t *s = daemon_stats(r), *jack = json_object_get(s, "jack");
	double peak = json_number_value(json_object_get(jack, "engine_load_peak"));
	json_t *out = json_pack("{s:f, s:i, s:i, s:I, s:f}", "t_s", t_s, "rss_kib",
				(json_int_t)soak_own_rss_kib(r->d.proc->pid), "fds",
				(json_int_t)soak_fd_count(r->d.proc->pid), "xruns",
				json_integer_value(json_object_get(jack, "xruns")),
				"engine_load_peak", peak);

	*peak_max = peak > *peak_max ? peak : *peak_max;
	json_decref(s);
	return out;
}

static void run_load(struct rig *r, long seconds, struct soak_counts *c, json_t *samples,
		     bool *alive, double *peak_max)
{
	struct soak_target t = { r->d.sock, r->osc_port, OSC_RATE, SETGET_RATE, RENDER_EVERY_MS,
				 opt.stall_ms };
	char err[512];
	struct soak_load *l = soak_load_start(&t, err, sizeof err);
	long long t0 = wm_now_ms();

	ck_assert_msg(l != NULL, "%s", err);
	while (wm_now_ms() - t0 < seconds * 1000) {
		wm_sleep_ms(SAMPLE_MS);
		*alive = *alive && wm_proc_alive(r->d.proc);
		if (!*alive)
			break;
		json_array_append_new(samples, sample(r, (wm_now_ms() - t0) / 1000.0, peak_max));
	}
	soak_load_stop(l, c);
}

/* ------------------------------------------------------------ verdict */

static void criterion(json_t *res, const char *name, bool pass, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void criterion(json_t *res, const char *name, bool pass, const char *fmt, ...)
{
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	json_object_set_new(json_object_get(res, "criteria"), name,
			    json_pack("{s:b, s:s}", "pass", pass, "detail", detail));
	if (!pass)
		json_object_set_new(res, "pass", json_false());
}

static void load_range(const json_t *samples, long *lo, long *hi)
{
	size_t i;
	json_t *s;

	*lo = -1;
	*hi = -1;
	json_array_foreach(samples, i, s) {
		long v = (long)json_integer_value(json_object_get(s, "rss_kib"));

		*lo = *lo < 0 || v < *lo ? v : *lo;
		*hi = v > *hi ? v : *hi;
	}
}

/* The 1-minute load average: how busy the machine was besides us. */
static double loadavg(void)
{
	char *text = wm_file_read("/proc/loadavg", NULL);
	double v = text ? strtod(text, NULL) : -1;

	free(text);
	return v;
}

/* The machine's CPU time so far, and how much of it the hypervisor gave to
 * other guests (steal), in clock ticks, from the "cpu" line of /proc/stat. */
static void cpu_ticks(long long *steal, long long *total)
{
	char *text = wm_file_read("/proc/stat", NULL), *p = text ? text + 3 : NULL;

	*steal = *total = 0;
	for (int i = 0; p && i < 8; i++) {
		long long v = strtoll(p, &p, 10);

		*total += v;
		*steal += i == 7 ? v : 0;
	}
	free(text);
}

/* ------------------------------------------------------------ the test */

struct marks {
	long warmup, rss0, rss1;
	struct soak_blame blame;
	int fd0, fd1;
	double la0, la1, engine_max, thru_max, peak_max;
	long long steal0, total0;
	struct xrun_mark x0, x1;
	json_t *s0, *s1;        /* stats before and after all load */
	bool alive, stopped_clean;
	/* rtguard (when WASHMIX_TEST_RTGUARD names it): its exit line */
	bool rt_exit_line;
	unsigned long rt_violations, rt_cycles;
};

static long delta(const struct marks *m, const char *a, const char *b)
{
	return stat_long(m->s1, a, b) - stat_long(m->s0, a, b);
}

static bool stop_daemon(struct rig *r)
{
	int status = 0, rc = wm_proc_stop(r->d.proc, SIGTERM, 5000, &status);
	struct stat st;

	wm_proc_release(r->d.proc);
	r->d.proc = NULL;
	return rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	       lstat(r->d.sock, &st) != 0;
}

static void count_blamed(struct rig *r, struct marks *m)
{
	char src[64];
	const char *names[3] = { r->d.client, r->thru_name, src };

	snprintf(src, sizeof src, "wmsrc-%d", (int)getpid());
	ck_assert_msg(soak_count_blamed(opt.jackd_log, r->log_from, names, 3, &m->blame) == 0,
		      "cannot read %s", opt.jackd_log);
}

static json_t *xrun_figures(const struct marks *m)
{
	const struct soak_blame *b = &m->blame;

	return json_pack("{s:i, s:i, s:i, s:[i,i,i], s:[i,i,i], s:[i,i,i], s:i, s:f, s:f, s:f, s:b,"
			 " s:i}",
		"washmixd_seen", (json_int_t)(m->x1.washmixd - m->x0.washmixd),
		"passthru_seen", (json_int_t)(m->x1.passthru - m->x0.passthru),
		"late_cycles", (json_int_t)b->cycles,
		"blamed", (json_int_t)b->lines[0], (json_int_t)b->lines[1], (json_int_t)b->lines[2],
		"blamed_running", (json_int_t)b->running[0], (json_int_t)b->running[1],
		(json_int_t)b->running[2],
		"blamed_alone", (json_int_t)b->alone[0], (json_int_t)b->alone[1],
		(json_int_t)b->alone[2], "blamed_all", (json_int_t)b->lines_all,
		"washmixd_engine_load_max", m->engine_max, "washmixd_peak_after_warmup",
		m->peak_max, "passthru_max_pct", m->thru_max,
		"realtime", opt.realtime, "stall_ms_injected", opt.stall_ms);
}

static void add_figures(json_t *res, const struct marks *m, const struct soak_counts *c,
			json_t *samples)
{
	long lo, hi, sent = c->osc_sent[0] + c->osc_sent[1];
	long recv = delta(m, "osc", "received"), limited = delta(m, "osc", "rate_limited");
	long refused = delta(m, "osc", "malformed") + delta(m, "osc", "errors");

	load_range(samples, &lo, &hi);
	long long steal, total;

	cpu_ticks(&steal, &total);
	steal -= m->steal0;
	total -= m->total0;
	json_object_set_new(res, "run", json_pack("{s:i, s:i, s:[i,i], s:[i,i], s:[f,f], s:f}",
		"seconds", (json_int_t)opt.seconds, "warmup_s", (json_int_t)m->warmup,
		"jack", 48000, 64, "mix", CHANNELS, ZONES, "loadavg", m->la0, m->la1,
		"steal_pct", total > 0 ? 100.0 * (double)steal / (double)total : 0.0));
	json_object_set_new(res, "xruns", xrun_figures(m));
	json_object_set_new(res, "memory", json_pack("{s:i, s:i, s:i, s:[i,i], s:o}",
		"rss_start_kib", (json_int_t)m->rss0, "rss_end_kib", (json_int_t)m->rss1,
		"growth_kib", (json_int_t)(m->rss1 - m->rss0), "under_load_kib", (json_int_t)lo,
		(json_int_t)hi, "samples", json_incref(samples)));
	json_object_set_new(res, "fds", json_pack("[i,i]", m->fd0, m->fd1));
	json_object_set_new(res, "socket", json_pack("{s:[i,i]}", "setget",
		(json_int_t)c->setget_pairs, (json_int_t)c->setget_wrong));
	json_object_set_new(res, "osc", json_pack("{s:[i,i], s:[i,i,i], s:[i,i], s:[i,i], s:i}",
		"sent", (json_int_t)c->osc_sent[0], (json_int_t)c->osc_sent[1],
		"daemon", (json_int_t)recv, (json_int_t)(recv - limited - refused),
		(json_int_t)limited, "lost_errors", (json_int_t)(sent - recv),
		(json_int_t)c->osc_error_replies, "final", (json_int_t)c->osc_final_checked,
		(json_int_t)c->osc_final_wrong, "rate_per_source", OSC_RATE));
	json_object_set_new(res, "scenes", json_pack("[i,i,i]", (json_int_t)c->recalls,
		(json_int_t)c->recall_values_checked, (json_int_t)c->recall_wrong));
	json_object_set_new(res, "players", json_pack("{s:[i,i,i], s:i}", "requests",
		(json_int_t)c->plays, (json_int_t)c->stops, (json_int_t)c->player_wrong,
		"underruns", (json_int_t)delta(m, "players", "underruns")));
	json_object_set_new(res, "renders", json_pack("[i,i,i,i]",
		(json_int_t)c->renders_submitted, (json_int_t)c->renders_done,
		(json_int_t)c->renders_failed, (json_int_t)c->renders_cached));
	json_object_set_new(res, "request_failures", json_integer(c->request_failures));
	json_object_set_new(res, "daemon", json_pack("[b,b]", m->alive, m->stopped_clean));
	json_object_set_new(res, "first_problem", json_string(c->first_problem));
}

static void judge(json_t *res, const struct marks *m, const struct soak_counts *c)
{
	long a = m->blame.alone[0], b = m->blame.alone[1];
	double allowed = (double)b + XRUN_SLACK + 3.0 * sqrt((double)(a + b));

	criterion(res, "xruns", (double)a <= allowed,
		  "late cycles blaming washmixd alone %ld, the passthrough client alone %ld "
		  "(allowed: at most the baseline's + 3 + 3 sqrt(sum) = %.1f)", a, b, allowed);
	criterion(res, "rss", m->rss0 > 0 && m->rss1 > 0 && m->rss1 - m->rss0 <= RSS_GROWTH_MAX_KIB,
		  "own RSS %ld -> %ld KiB after warm-up, growth %ld KiB (allowed %d)",
		  m->rss0, m->rss1, m->rss1 - m->rss0, RSS_GROWTH_MAX_KIB);
	criterion(res, "fds", m->fd0 == m->fd1 && m->fd0 > 0, "open fds %d -> %d", m->fd0,
		  m->fd1);
	criterion(res, "replies", c->setget_wrong + c->recall_wrong + c->osc_final_wrong +
		  c->player_wrong + c->osc_error_replies + c->request_failures == 0 &&
		  c->setget_pairs > 0 && c->recalls > 0 && c->osc_final_checked > 0,
		  "wrong: set/get %ld, scene values %ld, OSC final values %ld, players %ld, "
		  "OSC /error %ld, failed requests %ld", c->setget_wrong, c->recall_wrong,
		  c->osc_final_wrong, c->player_wrong, c->osc_error_replies, c->request_failures);
	criterion(res, "renders", c->renders_submitted > 0 && c->renders_failed == 0 &&
		  c->renders_done == c->renders_submitted && c->renders_cached > 0,
		  "%ld submitted, %ld done, %ld failed, %ld from the cache", c->renders_submitted,
		  c->renders_done, c->renders_failed, c->renders_cached);
	if (wm_t_rtguard_lib())
		criterion(res, "realtime", m->rt_exit_line && m->rt_violations == 0 &&
			  m->rt_cycles > 0,
			  "rtguard: %lu realtime violation(s) in %lu process cycles%s",
			  m->rt_violations, m->rt_cycles,
			  m->rt_exit_line ? "" : " (no exit line in the daemon's log)");
	criterion(res, "daemon", m->alive && m->stopped_clean,
		  "alive throughout: %s; SIGTERM: %s", m->alive ? "yes" : "no",
		  m->stopped_clean ? "exit 0, socket removed" : "NOT a clean stop");
}

static void finish(struct rig *r, struct marks *m, const struct soak_counts *c,
		   json_t *samples)
{
	json_t *res = json_pack("{s:b, s:{}}", "pass", 1, "criteria");

	m->x1 = xruns_now(r, &m->engine_max, &m->thru_max);
	m->s1 = daemon_stats(r);
	m->la1 = loadavg();
	count_blamed(r, m);
	m->stopped_clean = stop_daemon(r);
	m->rt_exit_line = wm_t_rtguard_exit_line(r->d.log, 0, &m->rt_violations, &m->rt_cycles);
	add_figures(res, m, c, samples);
	judge(res, m, c);
	soak_report_print(res);
	if (soak_report_write(res, opt.json) != 0)
		fprintf(stderr, "soak: cannot write %s\n", opt.json);
	bool pass = json_is_true(json_object_get(res, "pass"));

	json_decref(res);
	json_decref(m->s0);
	json_decref(m->s1);
	wm_src_close(r->src);
	soak_passthru_stop(r->thru);
	ck_assert_msg(pass, "the soak failed (see the table above and %s)", opt.json);
}

START_TEST(soak)
{
	struct rig r = { 0 };
	struct soak_counts c = { 0 };
	struct marks m = { .alive = true, .la0 = loadavg() };
	json_t *samples = json_array();

	cpu_ticks(&m.steal0, &m.total0);
	m.warmup = opt.seconds / 10 < 10 ? 10 : opt.seconds / 10 > 60 ? 60 : opt.seconds / 10;
	prepare_state(&r);
	start_source(&r);
	start_passthru(&r);
	start_daemon(&r);
	wm_sleep_ms(SETTLE_MS);
	r.log_from = soak_file_size(opt.jackd_log);
	m.x0 = xruns_now(&r, &m.engine_max, &m.thru_max);
	m.s0 = daemon_stats(&r);
	/* Warm-up: the whole load, so the lazy allocations (the Redis
	 * connection, player buffers, glibc arenas) are made before the quiet
	 * mark that memory and descriptors are compared to. The render job
	 * table's 256 slots are touched one job at a time, past the warm-up:
	 * bounded growth the memory criterion allows for (docs). Blame lines
	 * count from before the warm-up: every cycle under load is judged. */
	run_load(&r, m.warmup, &c, samples, &m.alive, &m.peak_max);
	m.peak_max = 0;
	json_array_clear(samples);
	wait_quiet(&r);
	m.rss0 = soak_own_rss_kib(r.d.proc->pid);
	m.fd0 = soak_fd_count(r.d.proc->pid);
	if (m.alive)
		run_load(&r, opt.seconds - m.warmup, &c, samples, &m.alive, &m.peak_max);
	wait_quiet(&r);
	m.rss1 = soak_own_rss_kib(r.d.proc->pid);
	m.fd1 = soak_fd_count(r.d.proc->pid);
	finish(&r, &m, &c, samples);
	json_decref(samples);
}
END_TEST

static void usage_exit(const char *why)
{
	fprintf(stderr, "soak: %s\nusage: soak --seconds N --jackd-log PATH --redis HOST:PORT "
		"--json PATH [--realtime yes|no] [--stall-ms MS] [--passthru PATH]\n", why);
	exit(64);
}

static void parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			usage_exit("every option takes a value");
		if (!strcmp(a, "--seconds"))
			opt.seconds = strtol(v, NULL, 10);
		else if (!strcmp(a, "--jackd-log"))
			opt.jackd_log = v;
		else if (!strcmp(a, "--redis"))
			opt.redis = v;
		else if (!strcmp(a, "--json"))
			opt.json = v;
		else if (!strcmp(a, "--realtime"))
			opt.realtime = !strcmp(v, "yes");
		else if (!strcmp(a, "--stall-ms"))
			opt.stall_ms = (int)strtol(v, NULL, 10);
		else if (!strcmp(a, "--passthru"))
			opt.passthru = v;
		else
			usage_exit("unknown option");
		i++;
	}
	if (opt.seconds < 20 || !opt.jackd_log || !opt.redis || !getenv("JACK_DEFAULT_SERVER"))
		usage_exit("--seconds (at least 20), --jackd-log, --redis and $JACK_DEFAULT_SERVER "
			   "are required");
}

int main(int argc, char **argv)
{
	Suite *s = suite_create("soak");
	TCase *tc = tcase_create("soak");

	parse_args(argc, argv);
	tcase_set_timeout(tc, (double)opt.seconds + 300);
	tcase_add_test(tc, soak);
	suite_add_tcase(s, tc);
	return wm_t_run_suite(s);
}
