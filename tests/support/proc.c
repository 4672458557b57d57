/* proc.c - spawn, watch and stop the programs an integration test runs
 * (jackd, washmixd, the washmix CLI), and clean up after them.
 *
 * fork + execve, with everything the child needs (envp, paths) prepared
 * before the fork: a test process may already run JACK threads, so the child
 * only calls async-signal-safe functions until execve. A close-on-exec pipe
 * carries an exec failure's errno back to the parent, so "no such binary" is
 * reported at spawn time and not as a mysterious early exit.
 *
 * The process table belongs to whichever process is running; entries carry
 * their owner's pid so a forked Check test child leaves its parent's servers
 * alone. */
#define _GNU_SOURCE             /* pipe2, nftw */
#include "tests/support/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define WM_PROC_MAX 64
#define WM_ENV_MAX 512

static struct wm_proc procs[WM_PROC_MAX];
static bool used[WM_PROC_MAX];
static bool atexit_done;

static char tmp_path[PATH_MAX];
static pid_t tmp_owner;
static bool tmp_keep;

long wm_proc_status_kib(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t n = strlen(field);
	long kib = -1;
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	while (f && kib < 0 && fgets(line, sizeof line, f))
		if (!strncmp(line, field, n) && line[n] == ':')
			kib = strtol(line + n + 1, NULL, 10);
	if (f)
		fclose(f);
	return kib;
}

long long wm_now_ms(void)
{
	return wm_now_us() / 1000;
}

long long wm_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void wm_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void at_exit_cleanup(void)
{
	wm_proc_kill_all();
	if (tmp_path[0] && tmp_owner == getpid()) {
		if (tmp_keep || getenv("WM_KEEP_TMP"))
			fprintf(stderr, "test logs kept in %s\n", tmp_path);
		else
			nftw(tmp_path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	}
}

static void ensure_atexit(void)
{
	if (!atexit_done) {
		atexit(at_exit_cleanup);
		atexit_done = true;
	}
}

/* Is "KEY=" of a in the env_extra list? */
static bool env_overridden(const char *entry, const char *const env_extra[])
{
	const char *eq = strchr(entry, '=');
	size_t klen = eq ? (size_t)(eq - entry) : strlen(entry);

	for (size_t i = 0; env_extra && env_extra[i]; i++)
		if (strncmp(env_extra[i], entry, klen) == 0 && env_extra[i][klen] == '=')
			return true;
	return false;
}

static int open_log(const char *path)
{
	if (!path)
		return open("/dev/null", O_WRONLY | O_CLOEXEC);
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

struct wm_proc *wm_proc_spawn(const char *const argv[], const char *const env_extra[],
			      const char *out_path, const char *err_path,
			      char *err, size_t errlen)
{
	static char *envp[WM_ENV_MAX];
	size_t n = 0;
	int slot = -1, fds[2], in_fd, out_fd, err_fd, child_errno = 0;
	pid_t parent = getpid(), pid;
	const char *base;

	ensure_atexit();
	for (int i = 0; i < WM_PROC_MAX; i++)
		if (!used[i]) {
			slot = i;
			break;
		}
	if (slot < 0) {
		snprintf(err, errlen, "process table full");
		return NULL;
	}
	for (size_t i = 0; environ[i] && n < WM_ENV_MAX - 64; i++)
		if (!env_overridden(environ[i], env_extra))
			envp[n++] = environ[i];
	for (size_t i = 0; env_extra && env_extra[i] && n < WM_ENV_MAX - 1; i++)
		envp[n++] = (char *)env_extra[i];
	envp[n] = NULL;

	in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	out_fd = open_log(out_path);
	err_fd = (err_path && out_path && strcmp(err_path, out_path) == 0) ?
		 dup(out_fd) : open_log(err_path);
	if (in_fd < 0 || out_fd < 0 || err_fd < 0 || pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "spawn %s: cannot open logs: %s", argv[0], strerror(errno));
		goto fail_fds;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		goto fail_fds;
	}
	if (pid == 0) {
		int e;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		dup2(in_fd, 0);
		dup2(out_fd, 1);
		dup2(err_fd, 2);
		signal(SIGPIPE, SIG_DFL);
		execve(argv[0], (char *const *)argv, envp);
		e = errno;
		if (write(fds[1], &e, sizeof e) < 0)
			_exit(126);
		_exit(127);
	}
	close(fds[1]);
	close(in_fd);
	close(out_fd);
	close(err_fd);
	while (read(fds[0], &child_errno, sizeof child_errno) < 0 && errno == EINTR)
		;
	close(fds[0]);
	if (child_errno) {
		waitpid(pid, NULL, 0);
		snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(child_errno));
		return NULL;
	}
	used[slot] = true;
	memset(&procs[slot], 0, sizeof procs[slot]);
	procs[slot].pid = pid;
	procs[slot].owner = parent;
	base = strrchr(argv[0], '/');
	snprintf(procs[slot].name, sizeof procs[slot].name, "%s", base ? base + 1 : argv[0]);
	return &procs[slot];

fail_fds:
	if (in_fd >= 0)
		close(in_fd);
	if (out_fd >= 0)
		close(out_fd);
	if (err_fd >= 0)
		close(err_fd);
	return NULL;
}

/* State letter from /proc/PID/stat, 0 when gone. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *rp;
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	rp = strrchr(buf, ')');
	return rp && rp[1] == ' ' ? rp[2] : 0;
}

bool wm_proc_alive(struct wm_proc *p)
{
	pid_t r;
	char st;

	if (!p || p->reaped)
		return false;
	if (p->owner != getpid()) {
		st = proc_state(p->pid);
		return st != 0 && st != 'Z' && st != 'X';
	}
	r = waitpid(p->pid, &p->status, WNOHANG);
	if (r == p->pid || (r < 0 && errno == ECHILD)) {
		p->reaped = true;
		return false;
	}
	return true;
}

int wm_proc_wait(struct wm_proc *p, int timeout_ms, int *status)
{
	long long deadline = wm_now_ms() + timeout_ms;

	for (;;) {
		if (!wm_proc_alive(p)) {
			if (status)
				*status = p->status;
			return 0;
		}
		if (wm_now_ms() >= deadline)
			return -1;
		wm_sleep_ms(5);
	}
}

int wm_proc_stop(struct wm_proc *p, int sig, int timeout_ms, int *status)
{
	if (!p)
		return -1;
	if (!wm_proc_alive(p)) {
		if (status)
			*status = p->status;
		return 0;
	}
	kill(p->pid, sig);
	if (wm_proc_wait(p, timeout_ms, status) == 0)
		return 0;
	kill(p->pid, SIGKILL);
	if (wm_proc_wait(p, 5000, status) == 0)
		return 1;
	return -1;
}

void wm_proc_release(struct wm_proc *p)
{
	if (p && p >= procs && p < procs + WM_PROC_MAX)
		used[p - procs] = false;
}

void wm_proc_kill_all(void)
{
	pid_t me = getpid();

	for (int i = 0; i < WM_PROC_MAX; i++) {
		if (!used[i] || procs[i].owner != me)
			continue;
		if (wm_proc_alive(&procs[i]))
			kill(procs[i].pid, SIGTERM);
	}
	for (int i = 0; i < WM_PROC_MAX; i++) {
		if (!used[i] || procs[i].owner != me)
			continue;
		wm_proc_stop(&procs[i], SIGTERM, 3000, NULL);
		used[i] = false;
	}
}

const char *wm_proc_status_str(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "signal %d (%s)%s", WTERMSIG(status),
			 strsignal(WTERMSIG(status)), WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(buf, len, "wait status 0x%x", (unsigned)status);
	return buf;
}

char *wm_file_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 8192;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, 4096, f);
		n += r;
	} while (r > 0);
	fclose(f);
	if (!buf)
		buf = calloc(1, 1);
	else
		buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

char *wm_file_tail(const char *path, size_t max_bytes)
{
	size_t n = 0;
	char *all = path ? wm_file_read(path, &n) : NULL, *start, *out;

	if (!all)
		return strdup("");
	start = all;
	if (n > max_bytes) {
		char *nl;

		start = all + n - max_bytes;
		nl = strchr(start, '\n');
		if (nl && nl[1])
			start = nl + 1;
	}
	out = strdup(start);
	free(all);
	if (!out)
		out = strdup("");
	return out;
}

const char *wm_tmpdir(void)
{
	const char *base;

	if (tmp_path[0])
		return tmp_path;        /* a forked test child shares its parent's */
	ensure_atexit();
	base = getenv("WASHMIX_TEST_TMPDIR");       /* scripts/test provides one */
	if (!base || !*base)
		base = getenv("TMPDIR");
	if (!base || !*base)
		base = "/tmp";
	snprintf(tmp_path, sizeof tmp_path, "%s/wmtest.XXXXXX", base);
	if (!mkdtemp(tmp_path)) {
		tmp_path[0] = 0;
		return NULL;
	}
	tmp_owner = getpid();
	return tmp_path;
}

void wm_tmpdir_keep(void)
{
	tmp_keep = true;
}
