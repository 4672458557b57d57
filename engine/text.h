/* text.h - untrusted text (names, paths and values from clients): UTF-8
 * validation, and quoting it back in an error message without passing on
 * control characters or broken UTF-8. Pure functions, any thread. */
#ifndef WM_TEXT_H
#define WM_TEXT_H

#include <stddef.h>

#define WM_TEXT_ECHO_MAX 40                       /* bytes quoted, before "..." */
#define WM_TEXT_ECHO_SIZE (WM_TEXT_ECHO_MAX + 4)  /* a buffer that holds any echo */

/* Length (1..4) of the well-formed UTF-8 sequence at text, or 0 when it is
 * malformed, truncated, overlong, a surrogate or beyond U+10FFFF. text is
 * NUL-terminated; the NUL ends a truncated sequence. */
int wm_utf8_seq_len(const char *text);

/* Copy at most WM_TEXT_ECHO_MAX bytes of text into buf (len bytes, at
 * least WM_TEXT_ECHO_SIZE) for an error message: whole UTF-8 characters
 * only, control characters and invalid bytes as '?', "..." when cut short.
 * Returns buf. */
const char *wm_text_echo(const char *text, char *buf, size_t len);

#endif
