/* cli_local.c - `washmix render --local` (cli_local.h): find washmixd,
 * spawn it in one-shot render mode with pipes on stdin and stdout, write the
 * request, read the answer, reap the child. The CLI's main thread. */
#define _GNU_SOURCE
#include "control/cli_local.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/io.h"

#define ANSWER_MAX ((size_t)64 * 1024)

extern char **environ;

/* $WASHMIXD, else beside our own executable (installed: both in bin/; build
 * tree: control/washmix and daemon/washmixd), else "" for a PATH search. */
static void find_washmixd(char *path, size_t size)
{
	const char *env = getenv("WASHMIXD");
	char self[PATH_MAX];
	ssize_t n;

	path[0] = '\0';
	if (env && *env) {
		snprintf(path, size, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return;
	*slash = '\0';
	snprintf(path, size, "%s/washmixd", self);
	if (access(path, X_OK) == 0)
		return;
	snprintf(path, size, "%s/../daemon/washmixd", self);
	if (access(path, X_OK) != 0)
		path[0] = '\0';
}

/* Everything the child prints, up to ANSWER_MAX bytes; the rest is drained. */
static char *read_all(int fd)
{
	char *buf = malloc(ANSWER_MAX + 1), sink[4096];
	size_t len = 0;
	ssize_t n;

	if (!buf)
		return NULL;
	for (;;) {
		bool full = len == ANSWER_MAX;
		n = full ? read(fd, sink, sizeof sink) : read(fd, buf + len, ANSWER_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (!full)
			len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
}

static pid_t spawn(const char *path, char *const argv[], int in_fd, int out_fd)
{
	posix_spawn_file_actions_t fa;
	pid_t pid = -1;

	if (posix_spawn_file_actions_init(&fa) != 0)
		return -1;
	posix_spawn_file_actions_adddup2(&fa, in_fd, STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	int rc = path[0] ? posix_spawn(&pid, path, &fa, NULL, argv, environ)
			 : posix_spawnp(&pid, "washmixd", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		fprintf(stderr, "washmix: cannot run %s: %s (set WASHMIXD to its path)\n",
			path[0] ? path : "washmixd from PATH", strerror(rc));
		return -1;
	}
	return pid;
}

static char **child_argv(char *const extra[], int nextra)
{
	char **argv = calloc((size_t)nextra + 4, sizeof *argv);
	if (!argv)
		return NULL;
	argv[0] = "washmixd";
	argv[1] = "--render";
	argv[2] = "-";
	for (int i = 0; i < nextra; i++)
		argv[3 + i] = extra[i];
	return argv;
}

static json_t *answer_of(char *text, int status)
{
	/* The answer is the last line; washmixd prints nothing else on stdout. */
	size_t len = strlen(text);
	while (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	char *line = strrchr(text, '\n');
	json_t *answer = json_loads(line ? line + 1 : text, 0, NULL);
	if (!json_is_object(answer)) {
		json_decref(answer);
		if (WIFSIGNALED(status))
			fprintf(stderr, "washmix: washmixd --render died of signal %d\n",
				WTERMSIG(status));
		else
			fprintf(stderr, "washmix: washmixd --render exited %d without an answer\n",
				WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return NULL;
	}
	return answer;
}

json_t *wm_cli_local_render(const char *json, char *const extra[], int nextra)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, status = 0;
	char path[PATH_MAX + 32], **argv = child_argv(extra, nextra), *text = NULL;
	json_t *answer = NULL;
	pid_t pid = -1;

	find_washmixd(path, sizeof path);
	if (!argv || pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		fprintf(stderr, "washmix: cannot start washmixd: %s\n", strerror(errno));
		goto done;
	}
	pid = spawn(path, argv, in[0], out[1]);
	close(in[0]);
	close(out[1]);
	in[0] = out[1] = -1;
	if (pid < 0)
		goto done;
	/* A child that dies before reading must not kill us with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	if (wm_write_all(in[1], json, strlen(json)) < 0)
		fprintf(stderr, "washmix: washmixd did not take the request: %s\n",
			strerror(errno));
	close(in[1]);
	in[1] = -1;
	text = read_all(out[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (text)
		answer = answer_of(text, status);
done:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	free(text);
	free(argv);
	return answer;
}
