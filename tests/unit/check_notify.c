/* check_notify.c - daemon/notify: the sd_notify messages a service manager
 * receives on a real AF_UNIX datagram socket (READY=1 with STATUS=, STATUS=
 * only when it changed, STOPPING=1), the watchdog decision (ping while the
 * heartbeat advances or JACK is known down, not while a connected engine is
 * stuck), the tick interval from WATCHDOG_USEC, nothing at all without
 * NOTIFY_SOCKET, and the STATUS= line built from a health reply. */
#include <check.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/notify.h"

#include "tests/support/suite.h"

static int listener = -1;
static char sock_path[108];

static void setup(void)
{
	snprintf(sock_path, sizeof sock_path, "/tmp/wm-notify-%d.sock", (int)getpid());
	unlink(sock_path);
	listener = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(listener, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock_path);
	ck_assert_int_eq(bind(listener, (struct sockaddr *)&sa, sizeof sa), 0);
	setenv("NOTIFY_SOCKET", sock_path, 1);
	setenv("WATCHDOG_USEC", "1000000", 1);
	unsetenv("WATCHDOG_PID");
}

static void teardown(void)
{
	close(listener);
	unlink(sock_path);
}

/* The next datagram, or "" when none arrives within 200 ms. */
static const char *next_message(void)
{
	static char buf[1024];
	struct pollfd p = { .fd = listener, .events = POLLIN };
	buf[0] = '\0';
	if (poll(&p, 1, 200) == 1) {
		ssize_t n = recv(listener, buf, sizeof buf - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
	}
	return buf;
}

START_TEST(test_ready_carries_the_first_status)
{
	struct wm_notify *n = wm_notify_create();
	ck_assert(wm_notify_enabled(n));
	wm_notify_ready(n, "ok: 48000 Hz/256");
	ck_assert_str_eq(next_message(), "READY=1\nSTATUS=ok: 48000 Hz/256");
	wm_notify_destroy(n);
}
END_TEST

START_TEST(test_status_is_sent_only_when_it_changes)
{
	struct wm_notify *n = wm_notify_create();
	wm_notify_ready(n, "ok: a");
	next_message();
	wm_notify_tick(n, "ok: a", true, 1);
	wm_notify_tick(n, "ok: b", true, 2);
	wm_notify_tick(n, "ok: b", true, 3);
	/* WATCHDOG=1 lines in between are skipped; only STATUS= counts. */
	int statuses = 0;
	for (const char *m = next_message(); *m; m = next_message()) {
		if (strncmp(m, "STATUS=", 7) == 0) {
			ck_assert_str_eq(m, "STATUS=ok: b");
			statuses++;
		}
	}
	ck_assert_int_eq(statuses, 1);
	wm_notify_destroy(n);
}
END_TEST

START_TEST(test_watchdog_pings_only_while_the_engine_advances)
{
	struct wm_notify *n = wm_notify_create();
	ck_assert_uint_eq(wm_notify_watchdog_usec(n), 1000000);
	ck_assert_int_eq(wm_notify_tick_ms(n), 250);
	wm_notify_ready(n, "s");
	next_message();
	ck_assert(wm_notify_tick(n, "s", true, 10));
	ck_assert_str_eq(next_message(), "WATCHDOG=1");
	ck_assert(wm_notify_tick(n, "s", true, 11));
	ck_assert_str_eq(next_message(), "WATCHDOG=1");
	/* Connected but the callback did not run: stuck, no ping. */
	ck_assert(!wm_notify_tick(n, "s", true, 11));
	ck_assert(!wm_notify_tick(n, "s", true, 11));
	ck_assert_str_eq(next_message(), "");
	/* It advances again: pings resume. */
	ck_assert(wm_notify_tick(n, "s", true, 12));
	ck_assert_str_eq(next_message(), "WATCHDOG=1");
	/* JACK known gone: reconnecting by ourselves, keep pinging. */
	ck_assert(wm_notify_tick(n, "s", false, 12));
	ck_assert(wm_notify_tick(n, "s", false, 12));
	ck_assert_str_eq(next_message(), "WATCHDOG=1");
	ck_assert_str_eq(next_message(), "WATCHDOG=1");
	wm_notify_destroy(n);
}
END_TEST

START_TEST(test_watchdog_of_another_pid_is_not_ours)
{
	setenv("WATCHDOG_PID", "1", 1);
	struct wm_notify *n = wm_notify_create();
	ck_assert_uint_eq(wm_notify_watchdog_usec(n), 0);
	ck_assert_int_eq(wm_notify_tick_ms(n), 1000);
	ck_assert(!wm_notify_tick(n, "s", true, 1));
	wm_notify_destroy(n);
}
END_TEST

START_TEST(test_stopping)
{
	struct wm_notify *n = wm_notify_create();
	wm_notify_stopping(n);
	ck_assert_str_eq(next_message(), "STOPPING=1\nSTATUS=stopping");
	wm_notify_destroy(n);
}
END_TEST

START_TEST(test_nothing_without_notify_socket)
{
	unsetenv("NOTIFY_SOCKET");
	struct wm_notify *n = wm_notify_create();
	ck_assert(!wm_notify_enabled(n));
	ck_assert_int_eq(wm_notify_tick_ms(n), 0);
	wm_notify_ready(n, "s");
	ck_assert(!wm_notify_tick(n, "s", true, 1));
	wm_notify_stopping(n);
	ck_assert_str_eq(next_message(), "");
	wm_notify_destroy(n);
}
END_TEST

START_TEST(test_status_line_from_health)
{
	char line[WM_NOTIFY_STATUS_MAX];
	json_t *h = json_loads(
		"{\"status\":\"ok\",\"jack\":{\"connected\":true,\"sample_rate\":48000,"
		"\"period\":256,\"xruns\":0},\"subsystems\":{\"cache\":{\"state\":\"ok\"},"
		"\"players\":{\"state\":\"ok\",\"detail\":\"2 playing\"}}}", 0, NULL);
	ck_assert_ptr_nonnull(h);
	wm_notify_status_line(h, line, sizeof line);
	ck_assert_str_eq(line, "ok: 48000 Hz/256, 0 xruns, cache ok, 2 playing");
	json_decref(h);
	h = json_loads("{\"status\":\"down\",\"jack\":{\"connected\":false,\"server\":"
		       "\"default\",\"error\":"
		       "\"the JACK server went away\",\"xruns\":3},\"subsystems\":{\"cache\":"
		       "{\"state\":\"off\"},\"players\":{\"state\":\"down\",\"detail\":"
		       "\"waiting for JACK\"}}}", 0, NULL);
	wm_notify_status_line(h, line, sizeof line);
	ck_assert_str_eq(line, "down: no JACK (server \"default\"), reconnecting, 3 xruns, "
			 "cache off, waiting for JACK");
	json_decref(h);
	h = json_loads("{\"status\":\"degraded\",\"jack\":{\"connected\":true,\"sample_rate\":"
		       "48000,\"period\":256,\"xruns\":0},\"subsystems\":{\"cache\":{\"state\":"
		       "\"ok\"},\"players\":{\"state\":\"ok\",\"detail\":\"0 playing\"},\"state\":"
		       "{\"state\":\"read_only\"}}}", 0, NULL);
	wm_notify_status_line(h, line, sizeof line);
	ck_assert_str_eq(line, "degraded: 48000 Hz/256, 0 xruns, cache ok, 0 playing, state "
			 "folder read_only");
	json_decref(h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("notify");
	TCase *tc = tcase_create("notify");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_ready_carries_the_first_status);
	tcase_add_test(tc, test_status_is_sent_only_when_it_changes);
	tcase_add_test(tc, test_watchdog_pings_only_while_the_engine_advances);
	tcase_add_test(tc, test_watchdog_of_another_pid_is_not_ours);
	tcase_add_test(tc, test_stopping);
	tcase_add_test(tc, test_nothing_without_notify_socket);
	tcase_add_test(tc, test_status_line_from_health);
	suite_add_tcase(s, tc);
	return wm_t_run_suite(s);
}
