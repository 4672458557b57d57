/* jackd_fixture.c - start, probe, kill and restart a private jackd.
 *
 * Readiness is "a client can open": jack_client_open with JackNoStartServer |
 * JackServerName, retried every 50 ms for up to 10 s, giving up early when
 * jackd has exited (its log tail then says why). The probe client is closed
 * at once, so a process forked afterwards (a Check test child) starts with
 * libjack's global state torn down. Runs on the test thread. */
#define _GNU_SOURCE /* program_invocation_short_name */
#include "tests/support/jackd_fixture.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <jack/jack.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JACKD_PATH "/usr/bin/jackd"
#define READY_TIMEOUT_MS 10000

static int counter;

static void silent_error(const char *msg)
{
	(void)msg;
}

int wm_jackd_ping(const char *name, char *err, size_t errlen)
{
	jack_status_t st = 0;
	jack_client_t *c;
	char client[32];

	/* a name of our own: see the note on client names in daemon_fixture.h */
	snprintf(client, sizeof client, "wmping-%d", (int)getpid());
	jack_set_error_function(silent_error);
	jack_set_info_function(silent_error);
	c = jack_client_open(client, JackNoStartServer | JackServerName, &st, name);
	if (!c) {
		snprintf(err, errlen, "jack_client_open(server \"%s\") failed, status 0x%x",
			 name, (unsigned)st);
		return -1;
	}
	jack_client_close(c);
	return 0;
}

static int spawn_and_wait(struct wm_jackd *j, char *err, size_t errlen)
{
	const char *argv[] = { JACKD_PATH, "--no-realtime", "-n", j->name, "-d", "dummy",
			       "-r", "48000", "-p", "256", NULL };
	const char *env[] = { "JACK_NO_AUDIO_RESERVATION=1", NULL };
	long long deadline;
	char perr[256];

	j->proc = wm_proc_spawn(argv, env, j->log, j->log, err, errlen);
	if (!j->proc)
		return -1;
	j->starts++;
	deadline = wm_now_ms() + READY_TIMEOUT_MS;
	for (;;) {
		if (!wm_proc_alive(j->proc)) {
			char st[96], *tail = wm_file_tail(j->log, 2000);

			snprintf(err, errlen, "jackd -n %s exited during start-up (%s); log tail:\n%s",
				 j->name, wm_proc_status_str(j->proc->status, st, sizeof st), tail);
			free(tail);
			wm_proc_release(j->proc);
			j->proc = NULL;
			return -1;
		}
		if (wm_jackd_ping(j->name, perr, sizeof perr) == 0)
			return 0;
		if (wm_now_ms() > deadline) {
			char *tail = wm_file_tail(j->log, 2000);

			snprintf(err, errlen, "jackd -n %s not ready after %d ms (%s); log tail:\n%s",
				 j->name, READY_TIMEOUT_MS, perr, tail);
			free(tail);
			wm_jackd_stop(j, SIGKILL);
			return -1;
		}
		wm_sleep_ms(50);
	}
}

int wm_jackd_start(struct wm_jackd *j, const char *dir, char *err, size_t errlen)
{
	memset(j, 0, sizeof *j);
	/* Named after the test binary, not its PID: JACK's registry has 8
	 * server slots and frees a killed server's slot only when a server
	 * of the same name registers, so the restart tests would otherwise
	 * leak a slot per run. A name still in use gets the PID added. */
	snprintf(j->name, sizeof j->name, "wmt-%.40s-%d", program_invocation_short_name,
		 ++counter);
	if (wm_jackd_ping(j->name, NULL, 0) == 0)
		snprintf(j->name, sizeof j->name, "wmt-%.40s-%d-%d", program_invocation_short_name,
			 counter, (int)getpid());
	snprintf(j->log, sizeof j->log, "%s/jackd-%s.log", dir, j->name);
	setenv("JACK_DEFAULT_SERVER", j->name, 1);
	setenv("JACK_NO_START_SERVER", "1", 1);
	return spawn_and_wait(j, err, errlen);
}

int wm_jackd_start_again(struct wm_jackd *j, char *err, size_t errlen)
{
	FILE *f = fopen(j->log, "a");

	if (f) {
		fprintf(f, "\n=== test harness: starting jackd again ===\n");
		fclose(f);
	}
	return spawn_and_wait(j, err, errlen);
}

/* A killed jackd leaves its semaphores and socket files in /dev/shm, and
 * even a clean stop after a restart does not remove them all. The names
 * contain our unique server name, so removing them touches nothing else. */
static void remove_shm_leftovers(const char *name)
{
	char a[96], b[96], path[400];
	struct dirent *e;
	DIR *dir = opendir("/dev/shm");

	if (!dir)
		return;
	snprintf(a, sizeof a, "jack_%s_", name);
	snprintf(b, sizeof b, "_%s_", name);
	while ((e = readdir(dir))) {
		if (strncmp(e->d_name, a, strlen(a)) != 0 &&
		    !(strncmp(e->d_name, "jack_sem.", 9) == 0 && strstr(e->d_name, b)))
			continue;
		snprintf(path, sizeof path, "/dev/shm/%s", e->d_name);
		unlink(path);
	}
	closedir(dir);
}

int wm_jackd_stop(struct wm_jackd *j, int sig)
{
	int rc;

	if (!j->proc)
		return 0;
	rc = wm_proc_stop(j->proc, sig, 5000, NULL);
	wm_proc_release(j->proc);
	j->proc = NULL;
	if (sig != SIGKILL)             /* a restart follows a kill: keep them */
		remove_shm_leftovers(j->name);
	return rc == 0 ? 0 : -1;
}

void wm_t_jackd_start(struct wm_jackd *j, const char *dir)
{
	char err[4096];

	ck_assert_msg(dir != NULL, "no temporary directory");
	if (wm_jackd_start(j, dir, err, sizeof err) < 0)
		ck_abort_msg("%s", err);
}

void wm_t_jackd_kill(struct wm_jackd *j, int sig)
{
	ck_assert_msg(wm_jackd_stop(j, sig) == 0, "jackd %s did not stop on signal %d",
		      j->name, sig);
}

void wm_t_jackd_start_again(struct wm_jackd *j)
{
	char err[4096];

	if (wm_jackd_start_again(j, err, sizeof err) < 0)
		ck_abort_msg("%s", err);
}

void wm_t_jackd_stop(struct wm_jackd *j)
{
	bool was_running = j->proc != NULL;

	ck_assert_msg(wm_jackd_stop(j, SIGTERM) == 0 || !was_running,
		      "jackd %s did not stop within 5 s of SIGTERM", j->name);
}
