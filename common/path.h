/* path.h - paths from clients, confined to a base folder (media, renders).
 * A client path is relative, names a file beneath the base, and may not
 * leave it: no absolute path, no ".." that climbs out, no symlink that
 * points outside. Resolution is done by the kernel (openat2 with
 * RESOLVE_BENEATH) where it exists, else by walking the components with
 * O_NOFOLLOW, so a symlink planted in the folder cannot escape it.
 * Any thread; blocking only as far as open(2) blocks. */
#ifndef WM_PATH_H
#define WM_PATH_H

#include <stddef.h>

#include "common/err.h"

#define WM_PATH_MAX 1024 /* bytes of a client path, including the NUL */

/* Lexical check of a client path: non-empty, shorter than WM_PATH_MAX,
 * relative, no empty or "." or ".." components, no control characters.
 * `what` names the folder in messages ("media folder"). WM_E_BAD_PATH. */
int wm_path_check(const char *rel, const char *what, struct wm_err *err);

/* Open rel beneath the directory base_dir with open(2) flags (O_CLOEXEC is
 * added; O_CREAT needs mode). Returns the fd, or -1 with err: WM_E_BAD_PATH
 * for a path that is malformed or escapes, WM_E_NOT_FOUND when it does not
 * exist, WM_E_IO otherwise; messages name the path as the client gave it,
 * the folder's role (`what`) and what is allowed. */
int wm_path_open_beneath(const char *base_dir, const char *rel, int flags, int mode,
			 const char *what, struct wm_err *err);

/* Refuse (WM_E_TOO_BIG) a regular file fd larger than max_bytes, so a huge
 * file planted in a folder cannot tie up a reader; 0 = no limit. rel and
 * `what` name it in the message. WM_E_IO when fstat fails. */
int wm_path_check_size(int fd, long long max_bytes, const char *rel, const char *what,
		       struct wm_err *err);

/* mkdir -p dir with mode for each folder made; `what` names it in errors
 * ("render folder"). WM_E_IO. */
int wm_path_make_dirs(const char *dir, int mode, const char *what, struct wm_err *err);

#endif
