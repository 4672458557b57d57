/* tokenize.c - request line -> words. Pure; used by the socket server and the
 * CLI's argument quoting tests. */
#include "control/tokenize.h"

#include <stdbool.h>
#include <string.h>

#include "engine/text.h"

static int bad(struct wm_err *err, size_t col, const char *what)
{
	return wm_err_set(err, WM_E_BAD_REQUEST, "%s at column %zu", what, col + 1);
}

int wm_tokenize(const char *line, size_t len, char *storage, struct wm_words *words,
		struct wm_err *err)
{
	words->count = 0;
	if (memchr(line, '\0', len))
		return bad(err, (size_t)((const char *)memchr(line, '\0', len) - line),
			   "NUL byte in request");
	if (line[len] != '\0')
		return wm_err_set(err, WM_E_INTERNAL, "tokenizer needs a NUL-terminated line");
	if (len > 0 && line[len - 1] == '\r')
		len--;
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
			if (c >= 0x80) {
				int n = wm_utf8_seq_len(line + i);
				if (n == 0)
					return bad(err, i, "invalid UTF-8");
				memcpy(out, line + i, (size_t)n);
				out += n;
				i += (size_t)n - 1;
				continue;
			}
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
