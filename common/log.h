/* log.h - one structured line per event on stderr, in logfmt:
 *   ts=2026-11-27T10:08:23.123Z level=info event=jack.connected rate=48000
 * Under journald (stderr is the stream JOURNAL_STREAM names) the time is
 * left to the journal and the line starts with the syslog priority it
 * understands, so levels survive:
 *   <6>level=info event=jack.connected rate=48000 period=256
 * Never call from the realtime thread: it formats and writes. */
#ifndef WM_LOG_H
#define WM_LOG_H

#include <stdbool.h>

enum wm_log_level { WM_LOG_DEBUG, WM_LOG_INFO, WM_LOG_WARN, WM_LOG_ERROR };

/* Parse "debug|info|warn|error"; returns -1 on anything else. */
int wm_log_level_parse(const char *text, enum wm_log_level *level);
const char *wm_log_level_name(enum wm_log_level level);

void wm_log_set_level(enum wm_log_level level);

/* True when stderr is the journal's stream (decided at the first call). */
bool wm_log_to_journal(void);
bool wm_log_enabled(enum wm_log_level level);

/* event is a dotted name ("jack.lost"); fmt gives the remaining key=value
 * pairs. Values containing spaces must be quoted by the caller with %s and
 * wm_log_quote() or be passed through msg="...". */
void wm_log(enum wm_log_level level, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define wm_debug(ev, ...) wm_log(WM_LOG_DEBUG, ev, __VA_ARGS__)
#define wm_info(ev, ...) wm_log(WM_LOG_INFO, ev, __VA_ARGS__)
#define wm_warn(ev, ...) wm_log(WM_LOG_WARN, ev, __VA_ARGS__)
#define wm_error(ev, ...) wm_log(WM_LOG_ERROR, ev, __VA_ARGS__)

#endif
