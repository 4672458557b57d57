/* store.c - the state folder on disk (presets/store.h): scenes/NAME.json and
 * live.json. Owns the descriptors of the state folder and of scenes/; every
 * file is opened relative to them, never through a symbolic link. A write
 * goes to a temp file beside the target (".NAME.json.tmp.PID"), is fsynced,
 * closed, renamed over the target, and the folder fsynced; any failure
 * removes the temp file and leaves the old file as it was. Reads are capped
 * at FILE_MAX. Temp files a crash left behind are swept at open.
 * Control thread only. */
#define _GNU_SOURCE /* renameat2, RENAME_NOREPLACE */
#include "presets/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "common/io.h"

#define FILE_MAX ((size_t)1024 * 1024)  /* bytes; larger files are refused */
#define DIR_MODE 0750
#define FILE_MODE 0640
#define SCENES "scenes"
#define EXT ".json"
#define EXT_LEN (sizeof EXT - 1)
#define LIVE "live.json"

/* "NAME.json" and ".NAME.json.tmp.PID" for the longest name. */
#define FILE_NAME_MAX (WM_SCENE_NAME_MAX + EXT_LEN + 1)
#define TEMP_NAME_MAX (FILE_NAME_MAX + 32)

#define NAME_RULE "scene names are 1..64 characters of A-Z a-z 0-9 . _ - " \
	"(not starting with \".\")"

struct wm_store {
	int dir_fd;
	int scenes_fd;
	char dir[];
};

/* One file of the store: the folder it is in and how messages name it. */
struct file {
	int dir_fd;
	char name[FILE_NAME_MAX];       /* in its folder: "x.json" */
	char shown[FILE_NAME_MAX + 8];  /* from the state folder: "scenes/x.json" */
};

/* ---- names ---- */

static bool name_char_ok(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

static bool name_ok(const char *name, size_t len)
{
	if (len == 0 || len > WM_SCENE_NAME_MAX || name[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!name_char_ok(name[i]))
			return false;
	return true;
}

/* s for a message, without the quotes: at most SHOW_MAX bytes of it, and
 * anything but printable ASCII escaped, so a hostile name cannot garble
 * the reply it is quoted in. */
#define SHOW_MAX 80
struct shown {
	char s[SHOW_MAX * 4 + 4];
};

static const char *show(const char *s, struct shown *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;

	for (i = 0; i < SHOW_MAX && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			out->s[o++] = '\\';
			out->s[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			out->s[o++] = '\\';
			out->s[o++] = 'x';
			out->s[o++] = hex[c >> 4];
			out->s[o++] = hex[c & 15];
		} else {
			out->s[o++] = (char)c;
		}
	}
	if (s[i]) {
		memcpy(out->s + o, "...", 3);
		o += 3;
	}
	out->s[o] = '\0';
	return out->s;
}

int wm_store_check_name(const char *name, struct wm_err *err)
{
	struct shown shown;

	if (!name)
		return wm_err_set(err, WM_E_BAD_NAME, NAME_RULE "; got no name");
	if (!name_ok(name, strlen(name)))
		return wm_err_set(err, WM_E_BAD_NAME, NAME_RULE "; got \"%s\"", show(name, &shown));
	return 0;
}

static void scene_file(const struct wm_store *s, const char *name, struct file *f)
{
	f->dir_fd = s->scenes_fd;
	snprintf(f->name, sizeof f->name, "%s" EXT, name);
	snprintf(f->shown, sizeof f->shown, SCENES "/%s" EXT, name);
}

static void live_file(const struct wm_store *s, struct file *f)
{
	f->dir_fd = s->dir_fd;
	snprintf(f->name, sizeof f->name, LIVE);
	snprintf(f->shown, sizeof f->shown, LIVE);
}

/* A leftover of an interrupted save: ".*.tmp.*". */
static bool is_temp_name(const char *name)
{
	return name[0] == '.' && strstr(name + 1, ".tmp.") != NULL;
}

/* The scene a directory entry holds: "NAME.json" with a valid NAME. */
static bool scene_stem(const char *entry, char stem[WM_SCENE_NAME_MAX + 1])
{
	size_t len = strlen(entry);

	if (len <= EXT_LEN || strcmp(entry + len - EXT_LEN, EXT) != 0)
		return false;
	len -= EXT_LEN;
	if (!name_ok(entry, len))
		return false;
	memcpy(stem, entry, len);
	stem[len] = '\0';
	return true;
}

/* ---- opening ---- */

/* mkdir of one prefix of the path; an existing folder is fine, whatever
 * mkdir says about it (EEXIST, or EROFS/EACCES on a read-only parent). */
static int make_one_dir(const char *path, const char *dir, struct wm_err *err)
{
	struct stat st;

	if (mkdir(path, DIR_MODE) == 0)
		return 0;
	int e = errno;
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		return wm_err_set(err, WM_E_IO, "cannot open state folder %s: %s is not a folder",
				  dir, path);
	}
	return wm_err_set(err, WM_E_IO, "cannot open state folder %s: cannot create %s: %s",
			  dir, path, strerror(e));
}

/* mkdir -p dir. */
static int make_dirs(const char *dir, struct wm_err *err)
{
	char path[PATH_MAX];
	size_t len = strlen(dir);

	if (len >= sizeof path)
		return wm_err_set(err, WM_E_IO, "cannot open state folder: its path is longer "
				  "than %d bytes", PATH_MAX - 1);
	memcpy(path, dir, len + 1);
	/* Each prefix that ends a component; the leading "/" is no component. */
	for (size_t i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		if (path[i - 1] == '/')
			continue;       /* "a//b": the prefix "a/" was made already */
		char saved = path[i];
		path[i] = '\0';
		int r = make_one_dir(path, dir, err);
		path[i] = saved;
		if (r < 0)
			return -1;
	}
	return 0;
}

static int open_scenes_dir(int dir_fd, const char *dir, struct wm_err *err)
{
	if (mkdirat(dir_fd, SCENES, DIR_MODE) < 0 && errno != EEXIST)
		return wm_err_set(err, WM_E_IO, "cannot create the scenes folder in %s: %s",
				  dir, strerror(errno));
	int fd = openat(dir_fd, SCENES, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		struct stat st;
		int e = errno;
		/* A link there fails with ENOTDIR, not ELOOP: say what it is. */
		if (fstatat(dir_fd, SCENES, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
			return wm_err_set(err, WM_E_IO, "cannot open %s/" SCENES ": it is a "
					  "symbolic link, which the store does not follow", dir);
		return wm_err_set(err, WM_E_IO, "cannot open %s/" SCENES ": %s", dir,
				  strerror(e));
	}
	return fd;
}

/* Remove what interrupted saves left in a folder. Best effort: a folder we
 * may not write (read-only state) still opens, so its scenes can be read. */
static void sweep_temps(int dir_fd)
{
	int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	const struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (is_temp_name(e->d_name))
			(void)unlinkat(dir_fd, e->d_name, 0);
	closedir(d);
}

struct wm_store *wm_store_open(const char *dir, struct wm_err *err)
{
	if (!dir || !*dir) {
		wm_err_set(err, WM_E_IO, "no state folder given");
		return NULL;
	}
	size_t len = strlen(dir);
	struct wm_store *s = malloc(sizeof *s + len + 1);
	if (!s) {
		wm_err_set(err, WM_E_INTERNAL, "out of memory");
		return NULL;
	}
	memcpy(s->dir, dir, len + 1);
	if (make_dirs(dir, err) < 0)
		goto out_free;
	s->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dir_fd < 0) {
		wm_err_set(err, WM_E_IO, "cannot open state folder %s: %s", dir, strerror(errno));
		goto out_free;
	}
	s->scenes_fd = open_scenes_dir(s->dir_fd, dir, err);
	if (s->scenes_fd < 0)
		goto out_close_dir;
	sweep_temps(s->dir_fd);
	sweep_temps(s->scenes_fd);
	return s;
out_close_dir:
	close(s->dir_fd);
out_free:
	free(s);
	return NULL;
}

void wm_store_close(struct wm_store *store)
{
	if (!store)
		return;
	close(store->scenes_fd);
	close(store->dir_fd);
	free(store);
}

const char *wm_store_dir(const struct wm_store *store)
{
	return store->dir;
}

/* ---- atomic write ---- */

/* A temp file of our pid can only be left by our own failed unlink or by a
 * dead process that had the same pid: it is ours to replace. */
static int open_temp(int dir_fd, const char *temp)
{
	const int flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW;
	int fd = openat(dir_fd, temp, flags, FILE_MODE);

	if (fd < 0 && errno == EEXIST && unlinkat(dir_fd, temp, 0) == 0)
		fd = openat(dir_fd, temp, flags, FILE_MODE);
	return fd;
}

static int save_failed(const struct wm_store *s, const struct file *f, const char *step,
		       int e, struct wm_err *err)
{
	return wm_err_set(err, WM_E_IO, "cannot save %s: %s failed: %s; nothing was changed "
			  "(state folder %s)", f->shown, step, strerror(e), s->dir);
}

static int atomic_write(const struct wm_store *s, const struct file *f, const char *data,
			size_t len, struct wm_err *err)
{
	char temp[TEMP_NAME_MAX];
	const char *step;
	int e;

	if (len > FILE_MAX)
		return wm_err_set(err, WM_E_OUT_OF_RANGE, "cannot save %s: it would be %zu "
				  "bytes; the limit is 1 MiB (%zu bytes)", f->shown, len, FILE_MAX);
	snprintf(temp, sizeof temp, ".%s.tmp.%ld", f->name, (long)getpid());
	int fd = open_temp(f->dir_fd, temp);
	if (fd < 0)
		return save_failed(s, f, "creating the temp file", errno, err);
	if (wm_write_all(fd, data, len) < 0) {
		step = "write";
		goto out_close;
	}
	if (fsync(fd) < 0) {
		step = "fsync";
		goto out_close;
	}
	if (close(fd) < 0) {
		step = "close";
		goto out_unlink;
	}
	if (renameat(f->dir_fd, temp, f->dir_fd, f->name) < 0) {
		step = "rename";
		goto out_unlink;
	}
	if (fsync(f->dir_fd) < 0)
		return wm_err_set(err, WM_E_IO, "%s is saved, but fsync of its folder failed: "
				  "%s; the new version may not survive a power loss (state "
				  "folder %s)", f->shown, strerror(errno), s->dir);
	return 0;
out_close:
	e = errno;
	close(fd);
	errno = e;
out_unlink:
	e = errno;
	(void)unlinkat(f->dir_fd, temp, 0);
	return save_failed(s, f, step, e, err);
}

/* ---- reading ---- */

static char *too_big(const struct file *f, int fd, char *buf, struct wm_err *err)
{
	wm_err_set(err, WM_E_IO, "cannot read %s: it is over 1 MiB (%zu bytes); files that "
		   "large are refused", f->shown, FILE_MAX);
	free(buf);
	if (fd >= 0)
		close(fd);
	return NULL;
}

static char *read_failed(const struct wm_store *s, const struct file *f, const char *why,
			 struct wm_err *err)
{
	wm_err_set(err, WM_E_IO, "cannot read %s: %s (state folder %s)", f->shown, why, s->dir);
	return NULL;
}

/* Read up to FILE_MAX bytes and see the end of the file, growing the
 * buffer when the file grew since fstat. */
static char *read_capped(const struct file *f, int fd, size_t size_hint, size_t *len,
			 struct wm_err *err)
{
	size_t room = size_hint + 1, used = 0;
	char *buf = malloc(room + 1);

	if (!buf) {
		close(fd);
		wm_err_set(err, WM_E_INTERNAL, "out of memory");
		return NULL;
	}
	for (;;) {
		if (used == room) {
			if (used > FILE_MAX)
				return too_big(f, fd, buf, err);
			room = room * 2 > FILE_MAX + 1 ? FILE_MAX + 1 : room * 2;
			char *p = realloc(buf, room + 1);
			if (!p) {
				free(buf);
				close(fd);
				wm_err_set(err, WM_E_INTERNAL, "out of memory");
				return NULL;
			}
			buf = p;
		}
		ssize_t n = read(fd, buf + used, room - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			free(buf);
			close(fd);
			wm_err_set(err, WM_E_IO, "cannot read %s: %s", f->shown, strerror(e));
			return NULL;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	if (used > FILE_MAX)
		return too_big(f, -1, buf, err);
	buf[used] = '\0';
	*len = used;
	return buf;
}

/* The file's contents, or NULL: with *missing set (and err untouched) when
 * there is no such file, with err filled otherwise. */
static char *read_file(const struct wm_store *s, const struct file *f, size_t *len,
		       bool *missing, struct wm_err *err)
{
	struct stat st;

	*missing = false;
	/* O_NONBLOCK: a FIFO planted under the name must not hang the thread. */
	int fd = openat(f->dir_fd, f->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT) {
			*missing = true;
			return NULL;
		}
		if (errno == ELOOP)
			return read_failed(s, f, "it is a symbolic link, which the store does "
					   "not follow", err);
		return read_failed(s, f, strerror(errno), err);
	}
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return read_failed(s, f, strerror(e), err);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return read_failed(s, f, "it is not a regular file", err);
	}
	if (st.st_size > (off_t)FILE_MAX)
		return too_big(f, fd, NULL, err);
	return read_capped(f, fd, (size_t)st.st_size, len, err);
}

/* ---- listing ---- */

static bool is_regular(int dir_fd, const struct dirent *e)
{
	struct stat st;

	if (e->d_type != DT_UNKNOWN)
		return e->d_type == DT_REG;
	return fstatat(dir_fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISREG(st.st_mode);
}

struct name_vec {
	char **v;
	size_t n, cap, bytes;
};

static int vec_push(struct name_vec *vec, const char *name)
{
	if (vec->n == vec->cap) {
		size_t cap = vec->cap ? vec->cap * 2 : 16;
		char **v = realloc(vec->v, cap * sizeof *v);
		if (!v)
			return -1;
		vec->v = v;
		vec->cap = cap;
	}
	char *copy = strdup(name);
	if (!copy)
		return -1;
	vec->v[vec->n++] = copy;
	vec->bytes += strlen(name) + 1;
	return 0;
}

static void vec_free(struct name_vec *vec)
{
	for (size_t i = 0; i < vec->n; i++)
		free(vec->v[i]);
	free(vec->v);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names as one block: count + 1 pointers (the last NULL), then
 * the strings they point at. */
static char **vec_pack(struct name_vec *vec)
{
	if (vec->n)
		qsort(vec->v, vec->n, sizeof *vec->v, compare_names);
	size_t head = (vec->n + 1) * sizeof(char *);
	char **block = malloc(head + vec->bytes);
	if (!block)
		return NULL;
	char *p = (char *)block + head;
	for (size_t i = 0; i < vec->n; i++) {
		size_t len = strlen(vec->v[i]) + 1;
		memcpy(p, vec->v[i], len);
		block[i] = p;
		p += len;
	}
	block[vec->n] = NULL;
	return block;
}

static int read_scene_names(int scenes_fd, struct name_vec *vec)
{
	char stem[WM_SCENE_NAME_MAX + 1];
	int e;
	int fd = openat(scenes_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	DIR *d = fdopendir(fd);
	if (!d) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	for (;;) {
		errno = 0;
		const struct dirent *entry = readdir(d);
		if (!entry)
			break;
		if (!scene_stem(entry->d_name, stem) || !is_regular(scenes_fd, entry))
			continue;
		if (vec_push(vec, stem) < 0)
			goto out_closedir;
	}
	if (errno)
		goto out_closedir;
	closedir(d);
	return 0;
out_closedir:
	e = errno ? errno : ENOMEM;
	closedir(d);
	errno = e;
	return -1;
}

int wm_store_list_scenes(struct wm_store *store, char ***names, size_t *count,
			 struct wm_err *err)
{
	struct name_vec vec = { 0 };

	*names = NULL;
	*count = 0;
	if (read_scene_names(store->scenes_fd, &vec) < 0) {
		int e = errno;
		vec_free(&vec);
		return wm_err_set(err, WM_E_IO, "cannot list %s/" SCENES ": %s", store->dir,
				  strerror(e));
	}
	char **block = vec_pack(&vec);
	size_t n = vec.n;
	vec_free(&vec);
	if (!block)
		return wm_err_set(err, WM_E_INTERNAL, "out of memory");
	*names = block;
	*count = n;
	return 0;
}

/* ---- scenes ---- */

/* "scenes: a, b, c" (as many as fit), or "there are no scenes yet". */
static void describe_scenes(struct wm_store *s, char *out, size_t size)
{
	char **names;
	size_t n, used;

	if (wm_store_list_scenes(s, &names, &n, NULL) < 0) {
		snprintf(out, size, "the scenes could not be listed");
		return;
	}
	if (n == 0) {
		snprintf(out, size, "there are no scenes yet");
		free(names);
		return;
	}
	used = (size_t)snprintf(out, size, "scenes: %s", names[0]);
	for (size_t i = 1; i < n && used < size; i++) {
		/* Keep room for ", ... (NNNNN in all)". */
		if (used + 2 + strlen(names[i]) + 24 >= size) {
			snprintf(out + used, size - used, ", ... (%zu in all)", n);
			break;
		}
		used += (size_t)snprintf(out + used, size - used, ", %s", names[i]);
	}
	free(names);
}

static int scene_not_found(struct wm_store *s, const char *name, struct wm_err *err)
{
	char list[200];

	describe_scenes(s, list, sizeof list);
	return wm_err_set(err, WM_E_NOT_FOUND, "no scene \"%s\"; %s", name, list);
}

int wm_store_save_scene(struct wm_store *store, const char *name, const char *data,
			size_t len, struct wm_err *err)
{
	struct file f;

	if (wm_store_check_name(name, err) < 0)
		return -1;
	scene_file(store, name, &f);
	return atomic_write(store, &f, data, len, err);
}

char *wm_store_load_scene(struct wm_store *store, const char *name, size_t *len,
			  struct wm_err *err)
{
	struct file f;
	bool missing;

	if (wm_store_check_name(name, err) < 0)
		return NULL;
	scene_file(store, name, &f);
	char *data = read_file(store, &f, len ? len : &(size_t){ 0 }, &missing, err);
	if (missing)
		scene_not_found(store, name, err);
	return data;
}

int wm_store_delete_scene(struct wm_store *store, const char *name, struct wm_err *err)
{
	struct file f;

	if (wm_store_check_name(name, err) < 0)
		return -1;
	scene_file(store, name, &f);
	if (unlinkat(f.dir_fd, f.name, 0) < 0) {
		if (errno == ENOENT)
			return scene_not_found(store, name, err);
		return wm_err_set(err, WM_E_IO, "cannot delete %s: %s (state folder %s)",
				  f.shown, strerror(errno), store->dir);
	}
	if (fsync(f.dir_fd) < 0)
		return wm_err_set(err, WM_E_IO, "%s is deleted, but fsync of its folder "
				  "failed: %s; it may come back after a power loss", f.shown,
				  strerror(errno));
	return 0;
}

static int scene_exists(const char *to, struct wm_err *err)
{
	return wm_err_set(err, WM_E_BAD_NAME, "a scene \"%s\" exists already; delete it "
			  "first or choose another name", to);
}

/* For filesystems without RENAME_NOREPLACE: link fails when the target
 * exists, which keeps "never replace"; then drop the old name. */
static int rename_by_link(int dir_fd, const char *from, const char *to)
{
	if (linkat(dir_fd, from, dir_fd, to, 0) < 0)
		return -1;
	if (unlinkat(dir_fd, from, 0) < 0) {
		int e = errno;
		(void)unlinkat(dir_fd, to, 0);
		errno = e;
		return -1;
	}
	return 0;
}

/* 0, or -1 with errno: ENOENT when from is missing, EEXIST when to exists. */
static int rename_noreplace(int dir_fd, const char *from, const char *to)
{
	struct stat st;

	if (strcmp(from, to) == 0) {
		/* The kernel treats this as a no-op; it must still be refused. */
		if (fstatat(dir_fd, from, &st, AT_SYMLINK_NOFOLLOW) == 0)
			errno = EEXIST;
		return -1;
	}
	if (renameat2(dir_fd, from, dir_fd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	return rename_by_link(dir_fd, from, to);
}

int wm_store_rename_scene(struct wm_store *store, const char *from, const char *to,
			  struct wm_err *err)
{
	struct file a, b;

	if (wm_store_check_name(from, err) < 0 || wm_store_check_name(to, err) < 0)
		return -1;
	scene_file(store, from, &a);
	scene_file(store, to, &b);
	if (rename_noreplace(a.dir_fd, a.name, b.name) < 0) {
		if (errno == ENOENT)
			return scene_not_found(store, from, err);
		if (errno == EEXIST)
			return scene_exists(to, err);
		return wm_err_set(err, WM_E_IO, "cannot rename %s to %s: %s (state folder %s)",
				  a.shown, b.shown, strerror(errno), store->dir);
	}
	if (fsync(a.dir_fd) < 0)
		return wm_err_set(err, WM_E_IO, "%s is renamed to %s, but fsync of its folder "
				  "failed: %s; the old name may come back after a power loss",
				  a.shown, b.shown, strerror(errno));
	return 0;
}

/* ---- live state ---- */

int wm_store_save_live(struct wm_store *store, const char *data, size_t len,
		       struct wm_err *err)
{
	struct file f;

	live_file(store, &f);
	return atomic_write(store, &f, data, len, err);
}

char *wm_store_load_live(struct wm_store *store, size_t *len, struct wm_err *err)
{
	struct file f;
	bool missing;

	live_file(store, &f);
	char *data = read_file(store, &f, len ? len : &(size_t){ 0 }, &missing, err);
	if (missing)
		wm_err_set(err, WM_E_NOT_FOUND, "no live state saved yet (no " LIVE " in %s)",
			   store->dir);
	return data;
}

int wm_store_set_aside_live(struct wm_store *store, char *kept, size_t kept_len,
			    struct wm_err *err)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(kept, kept_len, LIVE ".broken-%lld", (long long)now.tv_sec);
	if (renameat(store->dir_fd, LIVE, store->dir_fd, kept) < 0 || fsync(store->dir_fd) < 0)
		return wm_err_set(err, WM_E_IO, "cannot keep %s/" LIVE " aside as %s: %s",
				  store->dir, kept, strerror(errno));
	return 0;
}
