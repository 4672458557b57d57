/* check_cli.c - the washmix command-line client against a live washmixd:
 * exit status (0 ok, 1 error reply, 2 no daemon), human and --json output,
 * the socket from --socket or WASHMIX_SOCKET, arguments with spaces and
 * quotes passed through intact, and `watch` printing changes made by
 * another client while it runs, and `health` exit statuses for monitoring
 * (0 ok, 1 degraded: here a daemon whose Redis is missing, 2 down: its
 * JACK server stopped).
 *
 * Every run has a 10 s limit; a CLI that hangs fails the test. What the CLI
 * claims to have done is checked through the socket, not taken on trust. */
#include <check.h>
#include <ctype.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/daemon_fixture.h"
#include "tests/support/jackd_fixture.h"
#include "tests/support/sockclient.h"
#include "tests/support/suite.h"

#define END ((const char *)NULL)       /* ends run_cli's argument list */

static struct wm_jackd jackd;
static struct wm_daemon wd;
static int runs;

struct run {
	int status;             /* exit status, or -1 for a signal */
	char *out, *err;
	char cmd[512];          /* for messages */
};

static void up(void)
{
	wm_t_jackd_start(&jackd, wm_tmpdir());
	wm_t_daemon_start(&wd, wm_tmpdir(), 8, 2, NULL, NULL);
}

static void down(void)
{
	wm_t_daemon_stop(&wd);
	wm_t_jackd_stop(&jackd);
}

static void out_paths(char *out, char *err, size_t len)
{
	runs++;
	snprintf(out, len, "%s/cli-%d-%d.out", wm_tmpdir(), (int)getpid(), runs);
	snprintf(err, len, "%s/cli-%d-%d.err", wm_tmpdir(), (int)getpid(), runs);
}

/* Run the CLI with the given arguments (NULL-terminated) and extra
 * environment; waits up to 10 s. */
static void run_cli(struct run *r, const char *const env[], ...)
{
	const char *argv[32];
	char out[4200], err[4200], perr[512], st[96];
	struct wm_proc *p;
	int n = 0, status;
	size_t len = 0;
	va_list ap;

	argv[n++] = wm_cli_binary();
	va_start(ap, env);
	while (n < 31 && (argv[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	r->cmd[0] = 0;
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(r->cmd + len, len < sizeof r->cmd ? sizeof r->cmd - len : 0,
					"%s%s", i ? " " : "", argv[i]);
	out_paths(out, err, sizeof out);
	p = wm_proc_spawn(argv, env, out, err, perr, sizeof perr);
	ck_assert_msg(p != NULL, "%s", perr);
	if (wm_proc_wait(p, 10000, &status) < 0) {
		wm_proc_stop(p, SIGKILL, 1000, NULL);
		wm_proc_release(p);
		ck_abort_msg("`%s` did not finish within 10 s", r->cmd);
	}
	wm_proc_release(p);
	ck_assert_msg(WIFEXITED(status), "`%s` ended with %s", r->cmd,
		      wm_proc_status_str(status, st, sizeof st));
	r->status = WEXITSTATUS(status);
	r->out = wm_file_read(out, NULL);
	r->err = wm_file_read(err, NULL);
	ck_assert(r->out && r->err);
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static void expect_status(const struct run *r, int want)
{
	ck_assert_msg(r->status == want, "`%s` exited %d, want %d\nstdout: %s\nstderr: %s",
		      r->cmd, r->status, want, r->out, r->err);
}

static double get_num(const char *path)
{
	json_t *r = wm_t_assert_ok(wm_t_request1(wd.sock, "get %s", path), path);
	double v = wm_t_value_num(r);

	json_decref(r);
	return v;
}

START_TEST(test_set_exits_0_prints_for_people_and_applies)
{
	struct run r;

	run_cli(&r, NULL, "--socket", wd.sock, "set", "ch/2/gain", "-6", END);
	expect_status(&r, 0);
	ck_assert_msg(r.out[0] && r.out[0] != '{' && strstr(r.out, "-6"),
		      "`%s` should print the new value for a person; printed: %s", r.cmd, r.out);
	ck_assert_msg(get_num("ch/2/gain") == -6.0, "the daemon did not get the change");
	run_free(&r);
	json_decref(wm_t_request1(wd.sock, "set ch/2/gain 0"));
}
END_TEST

START_TEST(test_get_prints_the_value)
{
	struct run r;
	char lower[4096];
	size_t i = 0;

	json_decref(wm_t_assert_ok(wm_t_request1(wd.sock, "set ch/3/gain -4.5"), "set"));
	run_cli(&r, NULL, "--socket", wd.sock, "get", "ch/3/gain", END);
	expect_status(&r, 0);
	ck_assert_msg(strstr(r.out, "-4.5"), "`%s` printed: %s", r.cmd, r.out);
	run_free(&r);

	json_decref(wm_t_assert_ok(wm_t_request1(wd.sock, "set ch/3/send/1 -inf"), "set"));
	run_cli(&r, NULL, "--socket", wd.sock, "get", "ch/3/send/1", END);
	expect_status(&r, 0);
	for (; i < sizeof lower - 1 && r.out[i]; i++)
		lower[i] = (char)tolower((unsigned char)r.out[i]);
	lower[i] = 0;
	ck_assert_msg(strstr(lower, "inf") || strstr(r.out, "\xe2\x88\x9e"),
		      "`%s` should show minus infinity; printed: %s", r.cmd, r.out);
	run_free(&r);
	json_decref(wm_t_request1(wd.sock, "set ch/3/send/1 0"));
}
END_TEST

START_TEST(test_json_prints_the_raw_reply)
{
	struct run r;
	json_t *j;
	char *nl;

	json_decref(wm_t_assert_ok(wm_t_request1(wd.sock, "set ch/3/gain -4.5"), "set"));
	run_cli(&r, NULL, "--socket", wd.sock, "--json", "get", "ch/3/gain", END);
	expect_status(&r, 0);
	nl = strchr(r.out, '\n');
	ck_assert_msg(nl && nl[1] == 0, "--json should print one line; printed: %s", r.out);
	j = json_loads(r.out, 0, NULL);
	ck_assert_msg(json_is_true(json_object_get(j, "ok")) &&
		      strcmp(wm_t_strval(json_object_get(j, "path")), "ch/3/gain") == 0 &&
		      json_number_value(json_object_get(j, "value")) == -4.5,
		      "--json printed: %s", r.out);
	json_decref(j);
	run_free(&r);
}
END_TEST

START_TEST(test_error_reply_exits_1_with_the_message)
{
	struct run r;

	run_cli(&r, NULL, "--socket", wd.sock, "set", "ch/99/gain", "0", END);
	expect_status(&r, 1);
	ck_assert_msg(strstr(r.err, "ch/99"), "`%s` should explain on stderr; stderr: %s",
		      r.cmd, r.err);
	run_free(&r);
	run_cli(&r, NULL, "--socket", wd.sock, "set", "ch/1/gain", "banana", END);
	expect_status(&r, 1);
	ck_assert_msg(strstr(r.err, "banana"), "stderr: %s", r.err);
	run_free(&r);
	run_cli(&r, NULL, "--socket", wd.sock, "--json", "set", "ch/99/gain", "0", END);
	expect_status(&r, 1);
	run_free(&r);
	ck_assert(get_num("ch/1/gain") == 0.0);
}
END_TEST

START_TEST(test_no_daemon_exits_2)
{
	char path[4200];
	struct run r;
	FILE *f;
	const char *env[] = { path, NULL };

	snprintf(path, sizeof path, "%s/nobody-here.sock", wm_tmpdir());
	run_cli(&r, NULL, "--socket", path, "get", "ch/1/gain", END);
	expect_status(&r, 2);
	ck_assert_msg(r.err[0], "`%s` should say why on stderr", r.cmd);
	run_free(&r);

	snprintf(path, sizeof path, "%s/not-a-socket", wm_tmpdir());
	f = fopen(path, "w");
	ck_assert(f != NULL);
	fclose(f);
	run_cli(&r, NULL, "--socket", path, "health", END);
	expect_status(&r, 2);
	run_free(&r);

	snprintf(path, sizeof path, "WASHMIX_SOCKET=%s/nobody-here.sock", wm_tmpdir());
	run_cli(&r, env, "health", END);
	expect_status(&r, 2);
	run_free(&r);
}
END_TEST

START_TEST(test_socket_from_the_environment)
{
	char good[300], bad[300];
	const char *env_good[] = { good, NULL }, *env_bad[] = { bad, NULL };
	struct run r;

	snprintf(good, sizeof good, "WASHMIX_SOCKET=%s", wd.sock);
	snprintf(bad, sizeof bad, "WASHMIX_SOCKET=%s/nobody-here.sock", wm_tmpdir());
	json_decref(wm_t_assert_ok(wm_t_request1(wd.sock, "set ch/3/gain -4.5"), "set"));
	run_cli(&r, env_good, "get", "ch/3/gain", END);
	expect_status(&r, 0);
	ck_assert_msg(strstr(r.out, "-4.5"), "printed: %s", r.out);
	run_free(&r);
	run_cli(&r, env_bad, "--socket", wd.sock, "get", "ch/3/gain", END);
	expect_status(&r, 0);       /* --socket wins over the environment */
	run_free(&r);
}
END_TEST

START_TEST(test_arguments_with_spaces_and_quotes)
{
	static const char *const names[] = { "Car Wash Music", "say \"hi\" \\o/", " lead space" };

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct run r;
		json_t *j;

		run_cli(&r, NULL, "--socket", wd.sock, "set", "ch/5/name", names[i], END);
		expect_status(&r, 0);
		run_free(&r);
		j = wm_t_assert_ok(wm_t_request1(wd.sock, "get ch/5/name"), "get ch/5/name");
		ck_assert_msg(strcmp(wm_t_strval(json_object_get(j, "value")), names[i]) == 0,
			      "the CLI passed the name [%s] as [%s]", names[i],
			      wm_t_strval(json_object_get(j, "value")));
		json_decref(j);
	}
}
END_TEST

/* Start `washmix ... watch`, make changes from another client until one
 * shows up in its output, then stop it. Returns its output. */
static char *watch_until_seen(bool json)
{
	const char *argv[] = { wm_cli_binary(), "--socket", wd.sock, json ? "--json" : "watch",
			       json ? "watch" : NULL, NULL };
	char out[4200], err[4200], perr[512], st[96], *text = NULL;
	struct wm_proc *p;
	bool seen = false;
	int status;

	out_paths(out, err, sizeof out);
	p = wm_proc_spawn(argv, NULL, out, err, perr, sizeof perr);
	ck_assert_msg(p != NULL, "%s", perr);
	for (int i = 1; i <= 40 && !seen; i++) {
		json_decref(wm_t_assert_ok(wm_t_request1(wd.sock, "set ch/6/gain -%d.5", i), "set"));
		wm_sleep_ms(100);
		free(text);
		text = wm_file_read(out, NULL);
		seen = text && strstr(text, "ch/6/gain");
		ck_assert_msg(wm_proc_alive(p), "`washmix watch` exited (%s) before printing a "
			      "change; stderr: %s", wm_proc_status_str(p->status, st, sizeof st),
			      wm_file_tail(err, 1000));
	}
	ck_assert_msg(seen, "`washmix watch` printed no change of ch/6/gain in 4 s of changes; "
		      "stdout: %s\nstderr: %s", text, wm_file_tail(err, 1000));
	ck_assert_msg(wm_proc_stop(p, SIGTERM, 2000, &status) == 0,
		      "`washmix watch` did not stop within 2 s of SIGTERM");
	wm_proc_release(p);
	json_decref(wm_t_request1(wd.sock, "set ch/6/gain 0"));
	return text;
}

START_TEST(test_watch_prints_changes_made_elsewhere)
{
	char *text = watch_until_seen(false), *line = strstr(text, "ch/6/gain"), *eol;

	eol = strchr(line, '\n');
	if (eol)
		*eol = 0;
	ck_assert_msg(strstr(line, ".5"), "the change line does not show the new value: %s", line);
	free(text);

	text = watch_until_seen(true);
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
		json_t *j = json_loads(l, 0, NULL);

		ck_assert_msg(json_is_object(j), "--json watch printed a line that is not JSON: %s", l);
		if (json_object_get(j, "event"))
			ck_assert_msg(strcmp(wm_t_strval(json_object_get(j, "event")), "change") == 0 &&
				      json_is_string(json_object_get(j, "path")),
				      "event line: %s", l);
		json_decref(j);
	}
	free(text);
}
END_TEST

START_TEST(test_no_verb_is_a_usage_error)
{
	struct run r;

	run_cli(&r, NULL, "--socket", wd.sock, END);
	ck_assert_msg(r.status != 0 && r.err[0], "`%s` exited %d; stderr: %s", r.cmd, r.status,
		      r.err);
	run_free(&r);
}
END_TEST

/* The exit status of `washmix --json health` for what its reply says. */
static int health_run(const char *sock, const char **status_out)
{
	static char status[32];
	struct run r;
	run_cli(&r, NULL, "--socket", sock, "--json", "health", END);
	json_t *reply = json_loads(r.out, 0, NULL);
	snprintf(status, sizeof status, "%s",
		 reply ? wm_t_strval(json_object_get(reply, "status")) : "(no reply)");
	json_decref(reply);
	int code = r.status;
	run_free(&r);
	*status_out = status;
	return code;
}

static bool health_becomes(const char *sock, const char *want, int want_code)
{
	const char *status = "";
	int code = -1;
	for (long long t0 = wm_now_ms(); wm_now_ms() - t0 < 8000; wm_sleep_ms(100)) {
		code = health_run(sock, &status);
		if (!strcmp(status, want)) {
			ck_assert_msg(code == want_code, "health %s exited %d, want %d", status, code,
				      want_code);
			return true;
		}
	}
	return false;
}

START_TEST(test_health_exit_matches_its_status)
{
	const char *status;
	int code = health_run(wd.sock, &status);
	ck_assert_msg((!strcmp(status, "ok") && code == 0) ||
			      (!strcmp(status, "degraded") && code == 1),
		      "health %s exited %d", status, code);
}
END_TEST

/* A JACK server and daemon of the test's own: the daemon's Redis is
 * missing (degraded), then its JACK server is killed (down). */
START_TEST(test_health_degraded_then_down)
{
	struct wm_jackd own;
	struct wm_daemon nocache;
	char flag[4300];

	snprintf(flag, sizeof flag, "--redis=unix:%s/no-redis-here.sock", wm_tmpdir());
	const char *const extra[] = { flag, NULL };
	wm_t_jackd_start(&own, wm_tmpdir());
	wm_t_daemon_start(&nocache, wm_tmpdir(), 2, 1, NULL, extra);
	ck_assert_msg(health_becomes(nocache.sock, "degraded", 1),
		      "health never said degraded with Redis missing");
	/* SIGTERM: a SIGKILLed server leaves its entry in JACK's shm registry. */
	wm_t_jackd_stop(&own);
	ck_assert_msg(health_becomes(nocache.sock, "down", 2),
		      "health never said down with JACK gone");
	wm_t_daemon_stop(&nocache);
}
END_TEST

static Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("cli");

	tcase_add_unchecked_fixture(tc, up, down);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_set_exits_0_prints_for_people_and_applies);
	tcase_add_test(tc, test_get_prints_the_value);
	tcase_add_test(tc, test_json_prints_the_raw_reply);
	tcase_add_test(tc, test_error_reply_exits_1_with_the_message);
	tcase_add_test(tc, test_no_daemon_exits_2);
	tcase_add_test(tc, test_socket_from_the_environment);
	tcase_add_test(tc, test_arguments_with_spaces_and_quotes);
	tcase_add_test(tc, test_watch_prints_changes_made_elsewhere);
	tcase_add_test(tc, test_no_verb_is_a_usage_error);
	tcase_add_test(tc, test_health_exit_matches_its_status);
	suite_add_tcase(s, tc);
	TCase *health = tcase_create("health");
	tcase_set_timeout(health, 60);
	tcase_add_test(health, test_health_degraded_then_down);
	suite_add_tcase(s, health);
	return s;
}

int main(void)
{
	return wm_t_run_suite(cli_suite());
}
