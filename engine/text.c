/* text.c - untrusted text from clients and files: UTF-8 validation and
 * quoting it back safely in error messages. Pure functions for any thread;
 * nothing allocates. */
#include "engine/text.h"

#include <stdint.h>
#include <string.h>

int wm_utf8_seq_len(const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	uint32_t cp;
	int len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

const char *wm_text_echo(const char *text, char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t o = 0;

	while (*s && o + 4 < len && o < WM_TEXT_ECHO_MAX) {
		int n = wm_utf8_seq_len((const char *)s);

		if (n == 0 || (n == 1 && (*s < 0x20 || *s == 0x7f)) ||
		    (n == 2 && s[0] == 0xc2 && s[1] < 0xa0)) {
			/* invalid, C0 or DEL, C1: never passed on */
			buf[o++] = '?';
			s += n > 0 ? n : 1;
			continue;
		}
		if (o + (size_t)n > WM_TEXT_ECHO_MAX)
			break;
		memcpy(buf + o, s, (size_t)n);
		o += (size_t)n;
		s += n;
	}
	buf[o] = '\0';
	if (*s && o + 4 <= len)
		memcpy(buf + o, "...", 4);
	return buf;
}
