/* check_daemon.c - washmixd as a process: auto-connect by port pattern, a
 * clean stop (ports unregistered, socket removed, exit 0), a clear error and
 * exit status when JACK is missing at start or the socket is taken,
 * --check-config and --version, and a reload on SIGHUP (live settings
 * applied and named, the others named as needing a restart, a broken file
 * refused with the running settings kept). Real jackd on the dummy
 * backend. */
#include <check.h>
#include <jack/jack.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/daemon_fixture.h"
#include "tests/support/jackd_fixture.h"
#include "tests/support/proc.h"
#include "tests/support/sockclient.h"
#include "tests/support/suite.h"

static struct wm_jackd jackd;

static void up(void)
{
	wm_t_jackd_start(&jackd, wm_tmpdir());
}

static void down(void)
{
	wm_t_jackd_stop(&jackd);
}

struct run {
	int status;          /* exit status, -1 when killed by a signal */
	char *out, *err;
};

/* Run washmixd with args (NULL-terminated) and extra env; it must exit by
 * itself within 10 s. */
static void run_daemon(struct run *r, const char *const env[], const char *const args[])
{
	static int n;
	const char *argv[32] = { wm_daemon_binary(), wm_t_root_flag() };
	int argc = 2;
	for (int i = 0; args[i] && argc < 31; i++)
		argv[argc++] = args[i];
	argv[argc] = NULL;
	char out[512], err[512], why[256];
	n++;
	snprintf(out, sizeof out, "%s/daemon-run-%d-%d.out", wm_tmpdir(), (int)getpid(), n);
	snprintf(err, sizeof err, "%s/daemon-run-%d-%d.err", wm_tmpdir(), (int)getpid(), n);
	struct wm_proc *p = wm_proc_spawn(argv, env, out, err, why, sizeof why);
	ck_assert_msg(p, "cannot start %s: %s", argv[0], why);
	int status;
	if (wm_proc_wait(p, 10000, &status) < 0) {
		wm_proc_stop(p, SIGKILL, 1000, &status);
		ck_abort_msg("washmixd did not exit within 10 s");
	}
	wm_proc_release(p);
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	r->out = wm_file_read(out, NULL);
	r->err = wm_file_read(err, NULL);
	if (!r->out)
		r->out = strdup("");
	if (!r->err)
		r->err = strdup("");
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static jack_client_t *observer(void)
{
	char name[64];
	snprintf(name, sizeof name, "wmobs-%d", (int)getpid());
	jack_client_t *c = jack_client_open(name, JackNoStartServer, NULL);
	ck_assert_msg(c, "cannot open a JACK client on %s", jackd.name);
	return c;
}

static bool connected(jack_client_t *c, const char *a, const char *b)
{
	jack_port_t *p = jack_port_by_name(c, a);
	return p && jack_port_connected_to(p, b);
}

START_TEST(test_autoconnect_by_pattern)
{
	struct wm_daemon d;
	const char *const extra[] = { "--connect-inputs", "^system:capture_",
				      "--connect-outputs", "^system:playback_", NULL };
	wm_t_daemon_start(&d, wm_tmpdir(), 2, 1, NULL, extra);
	jack_client_t *c = observer();
	/* The dummy backend has capture_1/2 and playback_1/2: in order. */
	ck_assert(connected(c, wm_daemon_port(&d, "ch1_L"), "system:capture_1"));
	ck_assert(connected(c, wm_daemon_port(&d, "ch1_R"), "system:capture_2"));
	ck_assert(!connected(c, wm_daemon_port(&d, "ch2_L"), "system:capture_1"));
	ck_assert(connected(c, wm_daemon_port(&d, "zone1_L"), "system:playback_1"));
	ck_assert(connected(c, wm_daemon_port(&d, "zone1_R"), "system:playback_2"));
	jack_client_close(c);
	wm_t_daemon_stop(&d);
}
END_TEST

START_TEST(test_no_autoconnect_by_default)
{
	struct wm_daemon d;
	wm_t_daemon_start(&d, wm_tmpdir(), 2, 1, NULL, NULL);
	jack_client_t *c = observer();
	jack_port_t *p = jack_port_by_name(c, wm_daemon_port(&d, "ch1_L"));
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(jack_port_connected(p), 0);
	jack_client_close(c);
	wm_t_daemon_stop(&d);
}
END_TEST

START_TEST(test_clean_stop_unregisters_ports_and_removes_socket)
{
	struct wm_daemon d;
	wm_t_daemon_start(&d, wm_tmpdir(), 4, 2, "2", NULL);
	jack_client_t *c = observer();
	char pattern[96];
	snprintf(pattern, sizeof pattern, "^%s:", d.client);
	const char **ports = jack_get_ports(c, pattern, NULL, 0);
	int n = 0;
	while (ports && ports[n])
		n++;
	jack_free(ports);
	ck_assert_int_eq(n, 3 * 2 + 1 + 2 * 2); /* 3 stereo + 1 mono in, 2 zones out */
	ck_assert_ptr_nonnull(jack_port_by_name(c, wm_daemon_port(&d, "ch2")));
	wm_t_daemon_stop(&d); /* asserts exit 0 and the socket file gone */
	ports = jack_get_ports(c, pattern, NULL, 0);
	ck_assert_msg(!ports || !ports[0], "port %s still registered after stop",
		      ports ? ports[0] : "");
	jack_free(ports);
	jack_client_close(c);
	char *log = wm_daemon_log_tail(&d);
	ck_assert_msg(strstr(log, "event=daemon.stopped"), "no stop line in:\n%s", log);
	free(log);
}
END_TEST

START_TEST(test_missing_jack_server_is_a_clear_error)
{
	char env_server[96];
	snprintf(env_server, sizeof env_server, "JACK_DEFAULT_SERVER=nosuch-%d", (int)getpid());
	const char *const env[] = { env_server, NULL };
	char sock[256];
	snprintf(sock, sizeof sock, "%s/nojack-%d.sock", wm_tmpdir(), (int)getpid());
	const char *const args[] = { "--socket", sock, NULL };
	struct run r;
	run_daemon(&r, env, args);
	ck_assert_msg(r.status == 69, "exit status %d, want 69 (EX_UNAVAILABLE)\n%s", r.status,
		      r.err);
	ck_assert_msg(strstr(r.err, "cannot connect to the JACK server") &&
			      strstr(r.err, "is jackd running"),
		      "unclear error:\n%s", r.err);
	struct stat st;
	ck_assert_msg(stat(sock, &st) < 0, "socket left behind by a failed start");
	run_free(&r);
}
END_TEST

START_TEST(test_socket_in_use_is_refused)
{
	struct wm_daemon d;
	wm_t_daemon_start(&d, wm_tmpdir(), 2, 1, NULL, NULL);
	const char *const args[] = { "--socket", d.sock, "--jack-client", "wmsecond", NULL };
	struct run r;
	run_daemon(&r, NULL, args);
	ck_assert_msg(r.status == 78, "exit status %d, want 78\n%s", r.status, r.err);
	ck_assert_msg(strstr(r.err, "another washmixd is answering"), "unclear error:\n%s", r.err);
	run_free(&r);
	wm_t_daemon_alive(&d, "a second daemon tried its socket");
	json_t *h = wm_daemon_wait_jack(&d, true, 2000);
	ck_assert_ptr_nonnull(h);
	json_decref(h);
	wm_t_daemon_stop(&d);
}
END_TEST

START_TEST(test_check_config_and_version)
{
	struct run r;
	const char *const good[] = { "--check-config", "--channels", "12", "--mono", "3-4", NULL };
	run_daemon(&r, NULL, good);
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	ck_assert(strstr(r.out, "channels = 12") && strstr(r.out, "mono = 3,4"));
	run_free(&r);

	const char *const bad[] = { "--check-config", "--zones", "99", NULL };
	run_daemon(&r, NULL, bad);
	ck_assert_int_eq(r.status, 78);
	ck_assert_msg(strstr(r.err, "zones must be 1..32; got \"99\""), "%s", r.err);
	run_free(&r);

	const char *const env[] = { "LOG_LEVEL=chatty", NULL };
	const char *const check[] = { "--check-config", NULL };
	run_daemon(&r, env, check);
	ck_assert_int_eq(r.status, 78);
	ck_assert_msg(strstr(r.err, "LOG_LEVEL"), "%s", r.err);
	run_free(&r);

	const char *const version[] = { "--version", NULL };
	run_daemon(&r, NULL, version);
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strncmp(r.out, "washmixd ", 9) == 0, "%s", r.out);
	run_free(&r);
}
END_TEST

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_msg(f != NULL, "%s", path);
	fputs(text, f);
	fclose(f);
}

/* Wait for text in the daemon log, after SIGHUP. */
static bool log_says(const struct wm_daemon *d, const char *text)
{
	for (long long t0 = wm_now_ms(); wm_now_ms() - t0 < 5000; wm_sleep_ms(50)) {
		char *log = wm_daemon_log_tail(d);
		bool found = log && strstr(log, text);
		free(log);
		if (found)
			return true;
	}
	return false;
}

static const char *render_error(const struct wm_daemon *d, double duration)
{
	static char msg[512];
	json_t *r = wm_t_request1(d->sock,
				  "render {\"inputs\":{\"1\":\"x.wav\"},\"duration\":%g,"
				  "\"output\":{\"file\":\"x.wav\"}}", duration);
	json_t *e = json_object_get(r, "error");
	snprintf(msg, sizeof msg, "%s", e ? json_string_value(json_object_get(e, "message")) : "");
	json_decref(r);
	return msg;
}

START_TEST(test_sighup_reloads_the_config_file)
{
	struct wm_daemon d;
	char conf[4200], flag[4300];
	snprintf(conf, sizeof conf, "%s/reload.ini", wm_tmpdir());
	write_file(conf, "[render]\nmax_duration_s = 100\n");
	snprintf(flag, sizeof flag, "--config=%s", conf);
	const char *const extra[] = { flag, NULL };
	wm_t_daemon_start(&d, wm_tmpdir(), 2, 1, NULL, extra);
	ck_assert_msg(strstr(render_error(&d, 200), "<= 100 s"), "%s", render_error(&d, 200));

	/* The fixture's command line sets zones and its environment the log
	 * level: those win over the file, so they do not change here. */
	write_file(conf, "[render]\nmax_duration_s = 50\ncache_ttl_s = 60\n"
			 "[log]\nlevel = warn\n[mix]\nzones = 2\nramp_ms = 5\n"
			 "[media]\nplayer_buffer_ms = 500\n");
	ck_assert_int_eq(kill(d.proc->pid, SIGHUP), 0);
	ck_assert_msg(log_says(&d, "event=config.reloaded applied=render.max_duration_s,"
				   "render.cache_ttl_s needs_restart=mix.ramp_ms,"
				   "media.player_buffer_ms"),
		      "no reload line");
	wm_t_daemon_alive(&d, "after SIGHUP");
	ck_assert_msg(strstr(render_error(&d, 80), "<= 50 s"), "%s", render_error(&d, 80));
	/* Still one zone: the command line's --zones 1 wins over the file. */
	json_t *r = wm_t_request1(d.sock, "get zone/2/mute");
	ck_assert_str_eq(wm_t_strval(json_object_get(json_object_get(r, "error"), "code")),
			 "unknown_path");
	json_decref(r);

	write_file(conf, "[render]\nmax_duration_s = forever\n");
	ck_assert_int_eq(kill(d.proc->pid, SIGHUP), 0);
	ck_assert_msg(log_says(&d, "event=config.reload_failed"), "no failure line");
	wm_t_daemon_alive(&d, "after a broken reload");
	ck_assert_msg(strstr(render_error(&d, 80), "<= 50 s"), "%s", render_error(&d, 80));
	wm_t_daemon_stop(&d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("daemon");
	TCase *tc = tcase_create("process");
	tcase_add_unchecked_fixture(tc, up, down);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_autoconnect_by_pattern);
	tcase_add_test(tc, test_no_autoconnect_by_default);
	tcase_add_test(tc, test_clean_stop_unregisters_ports_and_removes_socket);
	tcase_add_test(tc, test_missing_jack_server_is_a_clear_error);
	tcase_add_test(tc, test_socket_in_use_is_refused);
	tcase_add_test(tc, test_check_config_and_version);
	tcase_add_test(tc, test_sighup_reloads_the_config_file);
	suite_add_tcase(s, tc);
	return wm_t_run_suite(s);
}
