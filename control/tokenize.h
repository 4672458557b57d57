/* tokenize.h - split one request line into words: spaces and tabs separate,
 * "double quotes" group, \" and \\ escape inside quotes, a trailing \r is
 * ignored. Pure function, any thread. */
#ifndef WM_TOKENIZE_H
#define WM_TOKENIZE_H

#include <stddef.h>

#include "common/err.h"

#define WM_MAX_WORDS 32

struct wm_words {
	int count;
	char *word[WM_MAX_WORDS];
	/* Byte offset in the original line where word[i] starts; lets a verb
	 * such as `render` take the rest of the line verbatim. */
	size_t offset[WM_MAX_WORDS];
};

/* Tokenize line (len bytes, no newline, and line[len] must be '\0') into
 * storage, which must hold len+1 bytes. Rejects NUL bytes, control
 * characters, invalid UTF-8, unbalanced quotes and more than WM_MAX_WORDS
 * words with WM_E_BAD_REQUEST and the column of the problem. */
int wm_tokenize(const char *line, size_t len, char *storage, struct wm_words *words,
		struct wm_err *err);

#endif
