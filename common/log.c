/* log.c - leveled logfmt lines on stderr. Control and worker threads only;
 * each line is written with one write(2) so lines from threads never mix. */
#include "common/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static atomic_int current_level = WM_LOG_INFO;

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

void wm_log(enum wm_log_level level, const char *event, const char *fmt, ...)
{
	if (!wm_log_enabled(level))
		return;
	char line[1024];
	int n = snprintf(line, sizeof line, "<%d>level=%s event=%s ", syslog_priority[level],
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
