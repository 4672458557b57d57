/* log.c - leveled logfmt lines on stderr. Control and worker threads only;
 * each line is written with one write(2) so lines from threads never mix.
 * Under journald (JOURNAL_STREAM names our stderr) a line starts with the
 * syslog priority journald reads and carries no time, which the journal
 * adds; anywhere else it starts with ts=, UTC to the millisecond. */
#include "common/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static atomic_int current_level = WM_LOG_INFO;
static atomic_int journal = -1;         /* unknown until the first line */

static const char *const level_names[] = { "debug", "info", "warn", "error" };
static const int syslog_priority[] = { 7, 6, 4, 3 };

int wm_log_level_parse(const char *text, enum wm_log_level *level)
{
	for (int i = 0; i <= WM_LOG_ERROR; i++) {
		if (strcmp(text, level_names[i]) == 0) {
			*level = (enum wm_log_level)i;
			return 0;
		}
	}
	if (strcmp(text, "warning") == 0) {
		*level = WM_LOG_WARN;
		return 0;
	}
	return -1;
}

const char *wm_log_level_name(enum wm_log_level level)
{
	return level_names[level];
}

void wm_log_set_level(enum wm_log_level level)
{
	atomic_store(&current_level, level);
}

bool wm_log_enabled(enum wm_log_level level)
{
	return (int)level >= atomic_load(&current_level);
}

/* systemd sets JOURNAL_STREAM=DEV:INODE of the stream it connected; a
 * child whose stderr was redirected inherits the variable but not the
 * stream, hence the comparison. */
bool wm_log_to_journal(void)
{
	int j = atomic_load(&journal);
	if (j < 0) {
		const char *env = getenv("JOURNAL_STREAM");
		char *colon = NULL, *end = NULL;
		unsigned long long dev = env ? strtoull(env, &colon, 10) : 0;
		unsigned long long ino = colon && *colon == ':' ? strtoull(colon + 1, &end, 10) : 0;
		struct stat st;
		j = end && end != colon + 1 && *end == '\0' && fstat(STDERR_FILENO, &st) == 0 &&
		    (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
		atomic_store(&journal, j);
	}
	return j == 1;
}

static int line_start(char *line, size_t size, enum wm_log_level level)
{
	if (wm_log_to_journal())
		return snprintf(line, size, "<%d>", syslog_priority[level]);
	struct timespec ts;
	struct tm tm;
	char when[32] = "";
	clock_gettime(CLOCK_REALTIME, &ts);
	if (gmtime_r(&ts.tv_sec, &tm))
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	return snprintf(line, size, "ts=%s.%03ldZ ", when, ts.tv_nsec / 1000000);
}

void wm_log(enum wm_log_level level, const char *event, const char *fmt, ...)
{
	if (!wm_log_enabled(level))
		return;
	char line[1024];
	int start = line_start(line, sizeof line, level);
	if (start < 0)
		return;
	int n = start + snprintf(line + start, sizeof line - (size_t)start, "level=%s event=%s ",
				 level_names[level], event);
	if (n < 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	size_t len = (m < 0) ? (size_t)n : (size_t)n + (size_t)m;
	if (len > sizeof line - 2)
		len = sizeof line - 2;
	while (len > 0 && line[len - 1] == ' ')
		len--;
	line[len++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w; /* nowhere left to report a failing stderr */
}
