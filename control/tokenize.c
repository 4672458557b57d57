/* tokenize.c - request line -> words. Pure; used by the socket server and the
 * CLI's argument quoting tests. */
#include "control/tokenize.h"

#include <stdbool.h>

int wm_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		unsigned c = p[i];
		size_t n;
		unsigned min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1, min = 0x80, c &= 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2, min = 0x800, c &= 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3, min = 0x10000, c &= 0x07;
		} else {
			return 0;
		}
		if (i + n >= len)
			return 0;
		for (size_t k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			c = (c << 6) | (p[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

static int bad(struct wm_err *err, size_t col, const char *what)
{
	return wm_err_set(err, WM_E_BAD_REQUEST, "%s at column %zu", what, col + 1);
}

int wm_tokenize(const char *line, size_t len, char *storage, struct wm_words *words,
		struct wm_err *err)
{
	if (len > 0 && line[len - 1] == '\r')
		len--;
	words->count = 0;
	if (!wm_utf8_valid(line, len))
		return wm_err_set(err, WM_E_BAD_REQUEST,
				  "request is not valid UTF-8 text; send one line of words");
	char *out = storage;
	size_t i = 0;
	while (i < len) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len)
			break;
		if (words->count == WM_MAX_WORDS)
			return wm_err_set(err, WM_E_BAD_REQUEST,
					  "more than %d words in one request", WM_MAX_WORDS);
		words->offset[words->count] = i;
		words->word[words->count++] = out;
		bool quoted = false;
		size_t quote_col = 0;
		for (; i < len; i++) {
			unsigned char c = (unsigned char)line[i];
			if (c < 0x20 && c != '\t')
				return bad(err, i, "control character in request");
			if (c == 0x7f)
				return bad(err, i, "control character in request");
			if (quoted) {
				if (c == '"') {
					quoted = false;
				} else if (c == '\\' && i + 1 < len &&
					   (line[i + 1] == '"' || line[i + 1] == '\\')) {
					*out++ = line[++i];
				} else {
					*out++ = (char)c;
				}
			} else if (c == ' ' || c == '\t') {
				break;
			} else if (c == '"') {
				quoted = true;
				quote_col = i;
			} else {
				*out++ = (char)c;
			}
		}
		if (quoted)
			return bad(err, quote_col, "unterminated quote starting");
		*out++ = '\0';
	}
	return 0;
}
