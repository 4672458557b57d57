/* linebuf.c - a control connection's input framing (control thread); see
 * linebuf.h. Split out of sock.c so the fuzz harness drives the same code
 * with the stream cut at arbitrary points. */
#include "control/linebuf.h"

#include <string.h>

void wm_linebuf_init(struct wm_linebuf *lb)
{
	lb->len = 0;
	lb->discarding = false;
}

char *wm_linebuf_space(struct wm_linebuf *lb, size_t *room)
{
	*room = sizeof lb->data - lb->len;
	return lb->data + lb->len;
}

size_t wm_linebuf_added(struct wm_linebuf *lb, size_t n, const struct wm_line_sink *sink)
{
	size_t start = 0, lines = 0;
	lb->len += n;
	for (;;) {
		char *nl = memchr(lb->data + start, '\n', lb->len - start);
		if (!nl)
			break;
		size_t end = (size_t)(nl - lb->data);
		if (lb->discarding)
			lb->discarding = false;
		else
			sink->line(sink->arg, lb->data + start, end - start);
		start = end + 1;
		lines++;
	}
	memmove(lb->data, lb->data + start, lb->len - start);
	lb->len -= start;
	if (lb->len == sizeof lb->data) {
		if (!lb->discarding)
			sink->too_long(sink->arg);
		lb->discarding = true;
		lb->len = 0;
	}
	return lines;
}

void wm_linebuf_finish(struct wm_linebuf *lb, const struct wm_line_sink *sink)
{
	if (lb->len && !lb->discarding)
		sink->line(sink->arg, lb->data, lb->len);
	wm_linebuf_init(lb);
}
