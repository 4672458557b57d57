/* rtguard_run.c - preload librtguard into washmixd and judge its log (see
 * rtguard_run.h). Test thread. */
#include "tests/support/rtguard_run.h"

#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#define VIOLATION_MARK "rtguard: realtime violation"
#define EXIT_MARK " realtime violation(s) in "
#define QUOTE_BYTES 2000

const char *wm_t_rtguard_lib(void)
{
	const char *lib = getenv("WASHMIX_TEST_RTGUARD");

	return lib && *lib ? lib : NULL;
}

/* "LD_PRELOAD=LIB" and "RTGUARD_MODE=MODE" in static buffers; false when
 * rtguard is off. */
static bool env_entries(const char **preload_entry, const char **mode_entry)
{
	static char preload[4096 + 16], mode[64];
	const char *lib = wm_t_rtguard_lib(), *m = getenv("WASHMIX_TEST_RTGUARD_MODE");

	if (!lib)
		return false;
	ck_assert_msg(access(lib, R_OK) == 0, "WASHMIX_TEST_RTGUARD=%s: %s (build the plain "
		      "tree's tests/rtguard, or unset it)", lib, strerror(errno));
	snprintf(preload, sizeof preload, "LD_PRELOAD=%s", lib);
	snprintf(mode, sizeof mode, "RTGUARD_MODE=%s", m ? m : "count");
	*preload_entry = preload;
	*mode_entry = mode;
	return true;
}

int wm_t_rtguard_env(const char *env[], int n, int max)
{
	const char *preload, *mode;

	if (!env_entries(&preload, &mode))
		return n;
	ck_assert_msg(n + 3 <= max, "no room for the rtguard environment");
	env[n++] = preload;
	env[n++] = mode;
	env[n] = NULL;
	return n;
}

int wm_t_rtguard_launcher_args(const char *argv[], int n, int max)
{
	const char *preload, *mode;

	if (!env_entries(&preload, &mode))
		return n;
	ck_assert_msg(n + 5 <= max, "no room for the rtguard options");
	argv[n++] = "-E";
	argv[n++] = preload;
	argv[n++] = "-E";
	argv[n++] = mode;
	argv[n] = NULL;
	return n;
}

long wm_t_log_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

/* The log from offset on (malloc'd, "" when unreadable). Only this run's
 * part is read: the kill loop of scene_crash appends hundreds of runs. */
static char *read_run(const char *path, long from)
{
	FILE *f = fopen(path, "r");
	long end;
	char *run;
	size_t got;

	if (!f)
		return strdup("");
	if (fseek(f, 0, SEEK_END) != 0 || (end = ftell(f)) < 0)
		end = 0;
	if (from < 0 || from > end)
		from = 0;
	run = malloc((size_t)(end - from) + 1);
	if (!run || fseek(f, from, SEEK_SET) != 0) {
		fclose(f);
		free(run);
		return strdup("");
	}
	got = fread(run, 1, (size_t)(end - from), f);
	run[got] = '\0';
	fclose(f);
	return run;
}

/* The last exit line's numbers in text. */
static bool parse_exit_line(const char *text, unsigned long *violations, unsigned long *cycles)
{
	const char *line = NULL;

	for (const char *p = text; (p = strstr(p, EXIT_MARK)) != NULL; p++)
		line = p;
	if (!line)
		return false;
	while (line > text && line[-1] != '\n')
		line--;
	return sscanf(line, "rtguard: %lu realtime violation(s) in %lu process cycles",
		      violations, cycles) == 2;
}

bool wm_t_rtguard_exit_line(const char *path, long from, unsigned long *violations,
			    unsigned long *cycles)
{
	char *run = read_run(path, from);
	bool found = parse_exit_line(run, violations, cycles);

	free(run);
	return found;
}

static char *message(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *message(const char *fmt, ...)
{
	char *msg = malloc(QUOTE_BYTES + 256);
	va_list ap;

	if (!msg)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(msg, QUOTE_BYTES + 256, fmt, ap);
	va_end(ap);
	return msg;
}

char *wm_t_rtguard_problem(const char *path, long from, enum wm_t_rtguard_end end)
{
	char *run, *msg = NULL, *hit;
	unsigned long violations = 0, cycles = 0;

	if (!wm_t_rtguard_lib())
		return NULL;
	run = read_run(path, from);
	hit = strstr(run, VIOLATION_MARK);
	if (hit)
		msg = message("rtguard reported a realtime violation:\n%.*s", QUOTE_BYTES, hit);
	else if (end != WM_T_RTG_KILLED && !parse_exit_line(run, &violations, &cycles))
		msg = message("no rtguard exit line in the log: the library was not loaded, "
			      "or the daemon did not exit through exit()");
	else if (end == WM_T_RTG_EXITED_LIVE && cycles == 0)
		msg = message("rtguard saw 0 process cycles although JACK was connected: the "
			      "wm_rtcheck_enter hook is not reached, so nothing was checked");
	else if (end != WM_T_RTG_KILLED && violations != 0)
		msg = message("rtguard counted %lu realtime violation(s)", violations);
	free(run);
	return msg;
}

void wm_t_rtguard_check(const char *path, long from, enum wm_t_rtguard_end end,
			const char *who)
{
	char *problem = wm_t_rtguard_problem(path, from, end);

	if (!problem)
		return;
	/* Also on stderr: Check drops the message of a failure in an unchecked
	 * fixture (where most daemons are stopped) and just exits. */
	fprintf(stderr, "%s (log %s): %s\n", who, path, problem);
	ck_abort_msg("%s (log %s): %s", who, path, problem);
	free(problem);
}
