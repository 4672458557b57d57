/* linebuf.h - framing of a control connection's byte stream into request
 * lines: bytes arrive in any pieces, a '\n' ends a line, a line longer than
 * the buffer is reported once and skipped up to its newline, and a last
 * line without its newline is still a line when the stream ends. Owned by
 * one connection; control thread only. No allocation. */
#ifndef WM_LINEBUF_H
#define WM_LINEBUF_H

#include <stdbool.h>
#include <stddef.h>

#define WM_LINEBUF_SIZE 4096 /* bytes of one line, including its newline */

struct wm_linebuf {
	char data[WM_LINEBUF_SIZE];
	size_t len;
	bool discarding;     /* skipping the rest of an over-long line */
};

/* line[0..len) without its newline; not NUL-terminated. */
typedef void (*wm_line_fn)(void *arg, const char *line, size_t len);
/* A line did not fit in WM_LINEBUF_SIZE bytes (called once per such line). */
typedef void (*wm_line_too_long_fn)(void *arg);

struct wm_line_sink {
	wm_line_fn line;
	wm_line_too_long_fn too_long;
	void *arg;
};

void wm_linebuf_init(struct wm_linebuf *lb);

/* Where the next bytes go, and how many fit (always > 0). */
char *wm_linebuf_space(struct wm_linebuf *lb, size_t *room);

/* n bytes were written at wm_linebuf_space(): hand every complete line to
 * the sink, keep a partial one. Returns how many lines ended in them
 * (skipped over-long ones included). */
size_t wm_linebuf_added(struct wm_linebuf *lb, size_t n, const struct wm_line_sink *sink);

/* The stream ended: a partial last line (not one being skipped) goes to
 * the sink; the buffer is empty afterwards. */
void wm_linebuf_finish(struct wm_linebuf *lb, const struct wm_line_sink *sink);

#endif
