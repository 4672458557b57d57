/* soak_watch.c - /proc figures, jackd's xrun blame lines and the
 * passthrough baseline client (soak_watch.h). The soak's main thread. */
#define _GNU_SOURCE             /* pipe2 */
#include "tests/soak/soak_watch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/proc.h"

#define BLAME_MARK "was not finished"
#define BLAME_PREFIX "client = "
#define CYCLE_END "Process error"
#define PASSTHRU_REPLY_MS 5000

long soak_own_rss_kib(pid_t pid)
{
	long anon = wm_proc_status_kib(pid, "RssAnon"), file = wm_proc_status_kib(pid, "RssFile");
	return anon < 0 || file < 0 ? -1 : anon + file;
}

int soak_fd_count(pid_t pid)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

long soak_file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

/* The client name in a blame line: after "client = ", up to " was". */
static void blamed_name(const char *line, char *name, size_t len)
{
	const char *p = strstr(line, BLAME_PREFIX), *end = strstr(line, " " BLAME_MARK);
	size_t n;

	name[0] = '\0';
	if (!p || !end || end < p)
		return;
	p += strlen(BLAME_PREFIX);
	n = (size_t)(end - p) < len - 1 ? (size_t)(end - p) : len - 1;
	memcpy(name, p, n);
	name[n] = '\0';
}

/* A cycle ends: if exactly one line blamed exactly one client, it was alone. */
static void end_cycle(struct soak_blame *b, int lines, int who)
{
	if (lines == 1 && who >= 0)
		b->alone[who]++;
}

int soak_count_blamed(const char *path, long from, const char *const names[], int n,
		      struct soak_blame *b)
{
	FILE *f = fopen(path, "re");
	char line[1024], name[256];
	int in_cycle = 0, who = -1;

	memset(b, 0, sizeof *b);
	if (!f || fseek(f, from, SEEK_SET) != 0) {
		if (f)
			fclose(f);
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		if (strstr(line, CYCLE_END)) {
			b->cycles++;
			end_cycle(b, in_cycle, who);
			in_cycle = 0;
			who = -1;
			continue;
		}
		if (!strstr(line, BLAME_MARK))
			continue;
		b->lines_all++;
		in_cycle++;
		who = -1;
		blamed_name(line, name, sizeof name);
		for (int i = 0; i < n && i < SOAK_BLAME_CLIENTS; i++) {
			if (strcmp(name, names[i]) != 0)
				continue;
			who = i;
			b->lines[i]++;
			b->running[i] += strstr(line, "state = Running") != NULL;
		}
	}
	end_cycle(b, in_cycle, who);
	fclose(f);
	return 0;
}

/* ------------------------------------------------------------ passthru */

struct soak_passthru {
	pid_t pid;
	FILE *to;               /* its stdin */
	int from;               /* its stdout */
	char buf[4096];
	size_t len;
};

/* One line from its stdout within PASSTHRU_REPLY_MS; 0, or -1. */
static int read_line(struct soak_passthru *p, char *line, size_t size)
{
	long long deadline = wm_now_ms() + PASSTHRU_REPLY_MS;

	for (;;) {
		char *nl = memchr(p->buf, '\n', p->len);

		if (nl) {
			size_t n = (size_t)(nl - p->buf);

			snprintf(line, size, "%.*s", (int)n, p->buf);
			p->len -= n + 1;
			memmove(p->buf, nl + 1, p->len);
			return 0;
		}
		struct pollfd pfd = { .fd = p->from, .events = POLLIN };
		long long left = deadline - wm_now_ms();

		if (left <= 0 || p->len == sizeof p->buf || poll(&pfd, 1, (int)left) <= 0)
			return -1;
		ssize_t got = read(p->from, p->buf + p->len, sizeof p->buf - p->len);

		if (got <= 0)
			return -1;
		p->len += (size_t)got;
	}
}

static void exec_passthru(const char *path, const char *server, const char *name,
			  int ports, int in, int out)
{
	char nports[16];

	snprintf(nports, sizeof nports, "%d", ports);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	dup2(in, 0);
	dup2(out, 1);
	execl(path, path, server, name, nports, (char *)NULL);
	_exit(127);
}

struct soak_passthru *soak_passthru_start(const char *path, const char *server,
					  const char *name, int ports, char *err,
					  size_t errlen)
{
	struct soak_passthru *p = calloc(1, sizeof *p);
	int in[2], out[2];
	char line[256];

	if (!p || pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "passthru: %s", strerror(errno));
		free(p);
		return NULL;
	}
	p->pid = fork();
	if (p->pid == 0)
		exec_passthru(path, server, name, ports, in[0], out[1]);
	close(in[0]);
	close(out[1]);
	p->to = fdopen(in[1], "w");
	p->from = out[0];
	if (p->pid < 0 || !p->to || read_line(p, line, sizeof line) != 0 ||
	    strcmp(line, "ready") != 0) {
		snprintf(err, errlen, "%s did not start (is it built?)", path);
		soak_passthru_stop(p);
		return NULL;
	}
	return p;
}

int soak_passthru_poll(struct soak_passthru *p, long *xruns, long *periods, double *max_pct)
{
	char line[512];
	json_t *j;

	if (fputs("?\n", p->to) == EOF || fflush(p->to) != 0 ||
	    read_line(p, line, sizeof line) != 0)
		return -1;
	j = json_loads(line, 0, NULL);
	if (!j)
		return -1;
	*xruns = (long)json_integer_value(json_object_get(j, "xruns"));
	*periods = (long)json_integer_value(json_object_get(j, "periods"));
	*max_pct = json_number_value(json_object_get(j, "max"));
	json_decref(j);
	return 0;
}

int soak_passthru_stop(struct soak_passthru *p)
{
	int status = -1;

	if (!p)
		return -1;
	if (p->to)
		fclose(p->to);
	close(p->from);
	if (p->pid > 0) {
		for (int i = 0; i < 50 && waitpid(p->pid, &status, WNOHANG) == 0; i++)
			wm_sleep_ms(100);
		if (waitpid(p->pid, &status, WNOHANG) == 0) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &status, 0);
			status = -1;
		}
	}
	free(p);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}
