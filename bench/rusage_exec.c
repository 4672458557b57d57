/* rusage_exec - runs one command and reports its own wall time, CPU time
 * (user + system) and peak RSS, measured with wait4.
 *
 * usage: rusage_exec REPORT_FILE COMMAND [ARG...]
 * REPORT_FILE gets one line: "STATUS WALL_S CPU_S MAXRSS_KIB" (STATUS is the
 * raw wait status). bench/lib/wmbench.py runs every measured command through
 * it because Linux carries a process's peak RSS across fork and exec: a
 * child started straight from Python reports at least Python's own peak
 * RSS. Started from this small program, the figure is the command's.
 * The command dies with this program (PR_SET_PDEATHSIG), so a timeout that
 * kills the wrapper kills the command too. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: rusage_exec REPORT_FILE COMMAND [ARG...]\n");
		return 64;
	}
	double t0 = now_s();
	pid_t pid = fork();
	if (pid < 0) {
		perror("rusage_exec: fork");
		return 70;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	int status = 0;
	struct rusage ru;
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("rusage_exec: wait4");
			return 70;
		}
	}
	double wall = now_s() - t0;
	FILE *f = fopen(argv[1], "w");
	if (!f) {
		perror(argv[1]);
		return 70;
	}
	fprintf(f, "%d %.6f %.6f %ld\n", status, wall, tv_s(ru.ru_utime) + tv_s(ru.ru_stime),
		ru.ru_maxrss);
	fclose(f);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
