/* path.c - client paths confined to a base folder. Any thread.
 *
 * Two layers: a lexical check (wm_path_check) that refuses what can never
 * be right whatever is on disk (absolute paths, "..", empty or "."
 * components, control characters), then the kernel's own resolution:
 * openat2(2) with RESOLVE_BENEATH refuses, atomically and race-free, any
 * path whose resolution leaves the base directory, including through a
 * symlink planted inside it; RESOLVE_NO_MAGICLINKS refuses /proc magic
 * links. Symlinks that stay inside the folder keep working.
 *
 * Where openat2 is missing (kernels before 5.6, or a seccomp filter that
 * answers ENOSYS or EPERM) we walk the components ourselves with openat and
 * O_NOFOLLOW. That walk cannot tell a harmless symlink from an escaping one
 * without re-implementing resolution (and its races), so it refuses every
 * symlink: stricter, never looser. */
#define _GNU_SOURCE /* O_PATH, O_TMPFILE */
#include "common/path.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/path_internal.h"

#ifndef SYS_openat2
#define SYS_openat2 437 /* the same number on every architecture */
#endif

#define SHOW_MAX 160 /* bytes of a client path quoted in a message */
#define OPENAT2_RETRIES 8

static atomic_bool force_fallback;

void wm_path_force_fallback(bool on)
{
	atomic_store(&force_fallback, on);
}

/* The path as messages quote it: control characters as '?', and long
 * paths cut so the sentence after them still fits WM_ERR_MSG_MAX. */
static const char *shown(const char *rel, char buf[SHOW_MAX + 4])
{
	size_t n = 0;
	for (; n < SHOW_MAX && rel[n]; n++) {
		unsigned char c = (unsigned char)rel[n];
		buf[n] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (rel[n]) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

/* One component [start, end): "" "." ".." are refused. */
static int check_component(const char *rel, const char *start, const char *end,
			   const char *what, struct wm_err *err)
{
	char b[SHOW_MAX + 4];
	size_t len = (size_t)(end - start);

	if (len == 0)
		return wm_err_set(err, WM_E_BAD_PATH,
				  "%s: empty path component (\"//\" or a \"/\" at the end); give "
				  "a file relative to the %s, like \"voice/welcome.wav\"",
				  shown(rel, b), what);
	if (len == 1 && start[0] == '.')
		return wm_err_set(err, WM_E_BAD_PATH,
				  "%s: \".\" is not allowed; paths are relative to the %s",
				  shown(rel, b), what);
	if (len == 2 && start[0] == '.' && start[1] == '.')
		return wm_err_set(err, WM_E_BAD_PATH,
				  "%s: \"..\" is not allowed; paths are relative to the %s",
				  shown(rel, b), what);
	return 0;
}

int wm_path_check(const char *rel, const char *what, struct wm_err *err)
{
	char b[SHOW_MAX + 4];

	if (!rel || !*rel)
		return wm_err_set(err, WM_E_BAD_PATH,
				  "empty path: give a file relative to the %s", what);
	size_t len = strnlen(rel, WM_PATH_MAX);
	if (len >= WM_PATH_MAX)
		return wm_err_set(err, WM_E_BAD_PATH,
				  "%s: path too long; at most %d bytes", shown(rel, b),
				  WM_PATH_MAX - 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)rel[i];
		if (c < 0x20 || c == 0x7f)
			return wm_err_set(err, WM_E_BAD_PATH,
					  "%s: control characters (byte 0x%02x) are not allowed "
					  "in a path", shown(rel, b), c);
	}
	if (rel[0] == '/')
		return wm_err_set(err, WM_E_BAD_PATH,
				  "%s: absolute paths are not allowed; give a path relative to "
				  "the %s", shown(rel, b), what);
	const char *start = rel;
	for (;;) {
		const char *slash = strchr(start, '/');
		const char *end = slash ? slash : rel + len;
		if (check_component(rel, start, end, what, err) < 0)
			return -1;
		if (!slash)
			return 0;
		start = slash + 1;
	}
}

/* errno of a failed open -> code and sentence. walked: the error came from
 * the component walk, where every symlink is refused. */
static int open_error(int e, const char *rel, const char *what, bool walked,
		      struct wm_err *err)
{
	char b[SHOW_MAX + 4];
	const char *p = shown(rel, b);

	switch (e) {
	case EXDEV:
		return wm_err_set(err, WM_E_BAD_PATH, "%s: leads outside the %s (through a symlink)",
				  p, what);
	case ELOOP:
		if (walked)
			return wm_err_set(err, WM_E_BAD_PATH,
					  "%s: goes through a symbolic link; this system has no "
					  "openat2, so symlinks in the %s are not followed", p, what);
		return wm_err_set(err, WM_E_BAD_PATH,
				  "%s: too many symbolic links, or a link into /proc; not allowed "
				  "in the %s", p, what);
	case ENOENT:
		return wm_err_set(err, WM_E_NOT_FOUND, "%s: no such file in the %s", p, what);
	case ENOTDIR:
		return wm_err_set(err, WM_E_NOT_FOUND,
				  "%s: no such file in the %s (a part of the path is not a folder)",
				  p, what);
	case EISDIR:
		return wm_err_set(err, WM_E_IO, "%s: is a folder in the %s, not a file", p, what);
	case EACCES:
		return wm_err_set(err, WM_E_IO, "%s: permission denied in the %s", p, what);
	default:
		return wm_err_set(err, WM_E_IO, "%s: cannot open it in the %s (%s)", p, what,
				  strerror(e));
	}
}

/* -1 with errno, or -2 when openat2 itself is unusable here (no such
 * syscall, filtered by seccomp, or an older kernel refusing our flags). */
static int open_kernel(int basefd, const char *rel, int flags, int mode)
{
	struct open_how how = {
		.flags = (unsigned long long)(unsigned)(flags | O_CLOEXEC),
		.mode = (flags & (O_CREAT | O_TMPFILE)) ? (unsigned long long)mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};

	for (int attempt = 0; attempt < OPENAT2_RETRIES; attempt++) {
		long fd = syscall(SYS_openat2, basefd, rel, &how, sizeof how);
		if (fd >= 0)
			return (int)fd;
		/* EAGAIN: a concurrent rename or mount raced the lookup. */
		if (errno == EAGAIN || errno == EINTR)
			continue;
		if (errno == ENOSYS || errno == EPERM || errno == EINVAL || errno == E2BIG)
			return -2;
		return -1;
	}
	return -1;
}

/* ENOTDIR for a middle component: was it a symlink (refused) or a file? */
static int walk_middle_errno(int dirfd, const char *name, int e)
{
	struct stat st;
	if (e == ENOTDIR && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode))
		return ELOOP;
	return e;
}

/* The fallback: every middle component as an O_PATH directory without
 * following symlinks, then the last one with O_NOFOLLOW. rel has passed
 * wm_path_check, so no component is "", "." or "..". Returns the fd or
 * -1 with errno. */
static int open_walk(int basefd, const char *rel, int flags, int mode)
{
	char name[WM_PATH_MAX];
	const char *p = rel;
	int dirfd = basefd;

	for (const char *slash; (slash = strchr(p, '/')) != NULL; p = slash + 1) {
		size_t len = (size_t)(slash - p);
		memcpy(name, p, len);
		name[len] = '\0';
		int next = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int e = next < 0 ? walk_middle_errno(dirfd, name, errno) : 0;
		if (dirfd != basefd)
			close(dirfd);
		if (next < 0) {
			errno = e;
			return -1;
		}
		dirfd = next;
	}
	int fd = openat(dirfd, p, flags | O_NOFOLLOW | O_CLOEXEC, (mode_t)mode);
	int e = errno;
	if (dirfd != basefd)
		close(dirfd);
	errno = e;
	return fd;
}

int wm_path_open_beneath(const char *base_dir, const char *rel, int flags, int mode,
			 const char *what, struct wm_err *err)
{
	if (wm_path_check(rel, what, err) < 0)
		return -1;
	int basefd = open(base_dir, O_DIRECTORY | O_PATH | O_CLOEXEC);
	if (basefd < 0)
		return wm_err_set(err, WM_E_IO, "the %s %s cannot be opened: %s", what, base_dir,
				  strerror(errno));

	int fd = -2;
	if (!atomic_load(&force_fallback))
		fd = open_kernel(basefd, rel, flags, mode);
	bool walked = fd == -2;
	if (walked)
		fd = open_walk(basefd, rel, flags, mode);
	int e = errno;
	close(basefd);
	if (fd < 0)
		return open_error(e, rel, what, walked, err);
	return fd;
}

int wm_path_make_dirs(const char *dir, int mode, const char *what, struct wm_err *err)
{
	char path[WM_PATH_MAX * 4];

	if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
		return wm_err_set(err, WM_E_IO, "%s path is too long: %.64s...", what, dir);
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(path, (mode_t)mode) < 0 && errno != EEXIST)
			return wm_err_set(err, WM_E_IO, "cannot create %s %s: %s", what, path,
					  strerror(errno));
		*p = saved;
		if (!saved)
			return 0;
	}
}

int wm_path_check_size(int fd, long long max_bytes, const char *rel, const char *what,
		       struct wm_err *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return wm_err_set(err, WM_E_IO, "\"%.200s\": %s", rel, strerror(errno));
	if (max_bytes <= 0 || !S_ISREG(st.st_mode) || st.st_size <= max_bytes)
		return 0;
	return wm_err_set(err, WM_E_TOO_BIG,
			  "\"%.200s\" is %.1f MiB; files in the %s may be at most %lld MiB "
			  "(--media-max-mb)",
			  rel, (double)st.st_size / 1048576.0, what, max_bytes >> 20);
}
