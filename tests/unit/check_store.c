/* check_store.c - presets/store: scenes and live.json round-trip byte for
 * byte, overwrite leaves exactly the new content, listing is sorted and
 * skips what is not a scene, delete and rename (never over an existing
 * scene), the name rule, leftover temp files swept at open, size caps and
 * symbolic links refused, a save SIGKILLed at random moments leaves the old
 * or the new file and never a torn one, and a failing write (file size
 * limit, a full tmpfs, a read-only tmpfs) reports the step and the reason
 * and keeps the old file. The tmpfs cases need mount(2) (root); where it is
 * not permitted the disk-full case falls back to RLIMIT_FSIZE and the
 * read-only case prints a SKIP note. */
#define _GNU_SOURCE /* umount2 flags */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "presets/store.h"

#include "tests/support/proc.h"
#include "tests/support/suite.h"

#define MIB ((size_t)1024 * 1024)

/* ---- helpers ---- */

/* A new folder path under the run's scratch directory (not created). */
static void scratch(char *buf, size_t len, const char *tag)
{
	const char *base = wm_tmpdir();

	ck_assert_ptr_nonnull(base);
	snprintf(buf, len, "%s/%s", base, tag);
}

static struct wm_store *open_ok(const char *dir)
{
	struct wm_err err = { 0 };
	struct wm_store *s = wm_store_open(dir, &err);

	ck_assert_msg(s != NULL, "wm_store_open(%s): %s", dir, err.msg);
	return s;
}

static void save_ok(struct wm_store *s, const char *name, const char *data, size_t len)
{
	struct wm_err err = { 0 };

	ck_assert_msg(wm_store_save_scene(s, name, data, len, &err) == 0, "save %s: %s", name,
		      err.msg);
}

/* The scene's content must be exactly want (len bytes), NUL-terminated. */
static void expect_scene(struct wm_store *s, const char *name, const char *want, size_t len)
{
	struct wm_err err = { 0 };
	size_t got_len = 12345;
	char *got = wm_store_load_scene(s, name, &got_len, &err);

	ck_assert_msg(got != NULL, "load %s: %s", name, err.msg);
	ck_assert_uint_eq(got_len, len);
	ck_assert(memcmp(got, want, len) == 0);
	ck_assert_int_eq(got[len], '\0');
	free(got);
}

/* Write a file by hand, past the store. */
static void put(const char *dir, const char *rel, const char *data, size_t len)
{
	char path[1024];

	snprintf(path, sizeof path, "%s/%s", dir, rel);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_msg(fd >= 0, "create %s: %s", path, strerror(errno));
	ck_assert(write(fd, data, len) == (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
}

static bool exists(const char *dir, const char *rel)
{
	char path[1024];
	struct stat st;

	snprintf(path, sizeof path, "%s/%s", dir, rel);
	return lstat(path, &st) == 0;
}

/* Entries of a folder whose names contain ".tmp.". */
static int count_temps(const char *dir)
{
	DIR *d = opendir(dir);
	const struct dirent *e;
	int n = 0;

	ck_assert_msg(d != NULL, "opendir %s: %s", dir, strerror(errno));
	while ((e = readdir(d)) != NULL)
		if (strstr(e->d_name, ".tmp."))
			n++;
	closedir(d);
	return n;
}

static void expect_err(const struct wm_err *err, enum wm_errcode code, const char *part)
{
	ck_assert_msg(err->code == code, "code %s, wanted %s (\"%s\")",
		      wm_errcode_name(err->code), wm_errcode_name(code), err->msg);
	ck_assert_msg(strstr(err->msg, part) != NULL, "\"%s\" not in \"%s\"", part, err->msg);
}

/* ---- basics ---- */

START_TEST(round_trip)
{
	char dir[512], path[600];
	/* Bytes a text reader would trip on: a NUL inside, high bytes. */
	static const char data[] = "{\"gain\":-6.5}\n\0\xff\xfe tail";
	const size_t len = sizeof data - 1;
	struct wm_err err = { 0 };
	struct stat st;

	scratch(dir, sizeof dir, "round_trip/a/b");   /* made like mkdir -p */
	struct wm_store *s = open_ok(dir);
	ck_assert_str_eq(wm_store_dir(s), dir);
	save_ok(s, "evening", data, len);
	expect_scene(s, "evening", data, len);
	snprintf(path, sizeof path, "%s/scenes/evening.json", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, (off_t)len);
	ck_assert_int_eq(st.st_mode & 0777 & ~0640, 0);   /* 0640 at most */
	ck_assert_int_eq(count_temps(dir), 0);
	snprintf(path, sizeof path, "%s/scenes", dir);
	ck_assert_int_eq(count_temps(path), 0);

	/* An empty file is a file too. */
	save_ok(s, "empty", "", 0);
	expect_scene(s, "empty", "", 0);

	/* live.json: missing at first, then the same round trip. */
	ck_assert_ptr_null(wm_store_load_live(s, NULL, &err));
	expect_err(&err, WM_E_NOT_FOUND, "no live state saved yet");
	ck_assert_int_eq(wm_store_save_live(s, data, len, &err), 0);
	size_t got_len = 0;
	char *got = wm_store_load_live(s, &got_len, &err);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(got_len, len);
	ck_assert(memcmp(got, data, len) == 0);
	free(got);
	ck_assert(exists(dir, "live.json"));
	wm_store_close(s);

	/* Survives a close and reopen. */
	s = open_ok(dir);
	expect_scene(s, "evening", data, len);
	wm_store_close(s);
	wm_store_close(NULL);
}
END_TEST

START_TEST(overwrite_keeps_only_new)
{
	char dir[512], path[600];
	char *big = malloc(200000);
	struct stat st;

	ck_assert_ptr_nonnull(big);
	memset(big, 'x', 200000);
	scratch(dir, sizeof dir, "overwrite");
	struct wm_store *s = open_ok(dir);
	save_ok(s, "evening", big, 200000);
	save_ok(s, "evening", "short", 5);
	expect_scene(s, "evening", "short", 5);
	snprintf(path, sizeof path, "%s/scenes/evening.json", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 5);
	save_ok(s, "evening", big, 200000);
	expect_scene(s, "evening", big, 200000);
	ck_assert_int_eq(wm_store_save_live(s, big, 200000, NULL), 0);
	ck_assert_int_eq(wm_store_save_live(s, "{}", 2, NULL), 0);
	snprintf(path, sizeof path, "%s/live.json", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 2);
	snprintf(path, sizeof path, "%s/scenes", dir);
	ck_assert_int_eq(count_temps(path), 0);
	ck_assert_int_eq(count_temps(dir), 0);
	wm_store_close(s);
	free(big);
}
END_TEST

START_TEST(list_sorted_and_filtered)
{
	char dir[512], sub[600], target[700], link[700];
	char **names = NULL;
	size_t n = 99;
	struct wm_err err = { 0 };

	scratch(dir, sizeof dir, "list");
	struct wm_store *s = open_ok(dir);
	ck_assert_int_eq(wm_store_list_scenes(s, &names, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	free(names);

	save_ok(s, "morning", "1", 1);
	save_ok(s, "Zeta", "2", 1);
	save_ok(s, "a.b-c_d", "3", 1);
	save_ok(s, "evening", "4", 1);
	snprintf(sub, sizeof sub, "%s/scenes", dir);
	put(sub, ".hidden.json", "x", 1);           /* name starts with "." */
	put(sub, ".evening.json.tmp.4242", "x", 1); /* a crashed save's temp */
	put(sub, "bad name.json", "x", 1);          /* space */
	put(sub, "notes.txt", "x", 1);              /* not .json */
	put(sub, ".json", "x", 1);                  /* empty name */
	put(sub, "x.json.bak", "x", 1);
	put(sub, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.json", "x",
	    1);                                     /* 65 characters */
	snprintf(target, sizeof target, "%s/dir.json", sub);
	ck_assert_int_eq(mkdir(target, 0700), 0);   /* a folder, not a file */
	snprintf(target, sizeof target, "%s/morning.json", sub);
	snprintf(link, sizeof link, "%s/link.json", sub);
	ck_assert_int_eq(symlink(target, link), 0); /* never followed */

	ck_assert_int_eq(wm_store_list_scenes(s, &names, &n, &err), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(names[0], "Zeta");
	ck_assert_str_eq(names[1], "a.b-c_d");
	ck_assert_str_eq(names[2], "evening");
	ck_assert_str_eq(names[3], "morning");
	ck_assert_ptr_null(names[4]);
	free(names);     /* one block: ASan/LSan would see a leak otherwise */
	wm_store_close(s);
}
END_TEST

START_TEST(delete_scene)
{
	char dir[512];
	struct wm_err err = { 0 };

	scratch(dir, sizeof dir, "delete");
	struct wm_store *s = open_ok(dir);
	save_ok(s, "evening", "e", 1);
	save_ok(s, "morning", "m", 1);
	ck_assert_int_eq(wm_store_delete_scene(s, "evening", &err), 0);
	ck_assert(!exists(dir, "scenes/evening.json"));
	ck_assert_ptr_null(wm_store_load_scene(s, "evening", NULL, &err));
	ck_assert_int_eq(err.code, WM_E_NOT_FOUND);
	ck_assert_str_eq(err.msg, "no scene \"evening\"; scenes: morning");
	ck_assert_int_eq(wm_store_delete_scene(s, "evening", &err), -1);
	ck_assert_str_eq(err.msg, "no scene \"evening\"; scenes: morning");
	ck_assert_int_eq(wm_store_delete_scene(s, "../live", &err), -1);
	ck_assert_int_eq(err.code, WM_E_BAD_NAME);
	expect_scene(s, "morning", "m", 1);
	wm_store_close(s);
}
END_TEST

START_TEST(not_found_lists_scenes)
{
	char dir[512];
	struct wm_err err = { 0 };

	scratch(dir, sizeof dir, "notfound");
	struct wm_store *s = open_ok(dir);
	ck_assert_ptr_null(wm_store_load_scene(s, "nosuch", NULL, &err));
	ck_assert_int_eq(err.code, WM_E_NOT_FOUND);
	ck_assert_str_eq(err.msg, "no scene \"nosuch\"; there are no scenes yet");
	save_ok(s, "morning", "m", 1);
	save_ok(s, "evening", "e", 1);
	ck_assert_ptr_null(wm_store_load_scene(s, "nosuch", NULL, &err));
	ck_assert_str_eq(err.msg, "no scene \"nosuch\"; scenes: evening, morning");

	/* Many scenes: the message stays one readable line and says how many. */
	for (int i = 0; i < 60; i++) {
		char name[32];
		snprintf(name, sizeof name, "scene-number-%02d", i);
		save_ok(s, name, "x", 1);
	}
	ck_assert_ptr_null(wm_store_load_scene(s, "nosuch", NULL, &err));
	expect_err(&err, WM_E_NOT_FOUND, "(62 in all)");
	ck_assert_uint_lt(strlen(err.msg), sizeof err.msg - 1);
	wm_store_close(s);
}
END_TEST

START_TEST(rename_scene)
{
	char dir[512];
	struct wm_err err = { 0 };

	scratch(dir, sizeof dir, "rename");
	struct wm_store *s = open_ok(dir);
	save_ok(s, "evening", "E", 1);
	save_ok(s, "morning", "M", 1);

	ck_assert_int_eq(wm_store_rename_scene(s, "evening", "night", &err), 0);
	expect_scene(s, "night", "E", 1);
	ck_assert(!exists(dir, "scenes/evening.json"));

	/* Onto an existing scene: refused, both untouched. */
	ck_assert_int_eq(wm_store_rename_scene(s, "night", "morning", &err), -1);
	expect_err(&err, WM_E_BAD_NAME, "a scene \"morning\" exists already");
	expect_scene(s, "night", "E", 1);
	expect_scene(s, "morning", "M", 1);

	/* Onto itself: also an existing name. */
	ck_assert_int_eq(wm_store_rename_scene(s, "night", "night", &err), -1);
	expect_err(&err, WM_E_BAD_NAME, "exists already");
	expect_scene(s, "night", "E", 1);

	/* From a missing scene. */
	ck_assert_int_eq(wm_store_rename_scene(s, "evening", "later", &err), -1);
	ck_assert_int_eq(err.code, WM_E_NOT_FOUND);
	ck_assert_str_eq(err.msg, "no scene \"evening\"; scenes: morning, night");
	ck_assert_int_eq(wm_store_rename_scene(s, "ghost", "ghost", &err), -1);
	ck_assert_int_eq(err.code, WM_E_NOT_FOUND);
	ck_assert(!exists(dir, "scenes/later.json"));

	/* Bad names on either side. */
	ck_assert_int_eq(wm_store_rename_scene(s, "night", "../night", &err), -1);
	ck_assert_int_eq(err.code, WM_E_BAD_NAME);
	ck_assert_int_eq(wm_store_rename_scene(s, "../live", "x", &err), -1);
	ck_assert_int_eq(err.code, WM_E_BAD_NAME);
	ck_assert(!exists(dir, "night.json"));
	expect_scene(s, "night", "E", 1);
	wm_store_close(s);
}
END_TEST

START_TEST(name_rule)
{
	static const char *const good[] = {
		"a", "Z", "0", "evening", "Evening-2", "a.b", "a_b", "x..y", "a.",
		"1234567890123456789012345678901234567890123456789012345678901234", /* 64 */
	};
	static const char *const bad[] = {
		"", ".", "..", ".hidden", "../x", "a/b", "/abs", "a b", "a\\b", "é", "a\n",
		"a*", "a:b", "12345678901234567890123456789012345678901234567890123456789012345",
	};
	char dir[512];
	struct wm_err err = { 0 };

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		ck_assert_msg(wm_store_check_name(good[i], &err) == 0, "\"%s\": %s", good[i],
			      err.msg);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err.code = WM_OK;
		ck_assert_msg(wm_store_check_name(bad[i], &err) == -1, "\"%s\" accepted", bad[i]);
		ck_assert_int_eq(err.code, WM_E_BAD_NAME);
	}
	ck_assert_int_eq(wm_store_check_name(NULL, &err), -1);
	ck_assert_int_eq(wm_store_check_name("../x", NULL), -1);

	wm_store_check_name("../x", &err);
	ck_assert_str_eq(err.msg, "scene names are 1..64 characters of A-Z a-z 0-9 . _ - "
			 "(not starting with \".\"); got \"../x\"");
	/* Whatever the name holds, the message stays printable and bounded. */
	wm_store_check_name("a\"b\n\x01", &err);
	ck_assert_msg(strstr(err.msg, "got \"a\\\"b\\x0a\\x01\"") != NULL, "%s", err.msg);
	char longname[2000];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	wm_store_check_name(longname, &err);
	expect_err(&err, WM_E_BAD_NAME, "...\"");

	/* Every entry point applies the rule, and nothing lands outside. */
	scratch(dir, sizeof dir, "names/state");
	struct wm_store *s = open_ok(dir);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err.code = WM_OK;
		ck_assert_int_eq(wm_store_save_scene(s, bad[i], "x", 1, &err), -1);
		ck_assert_int_eq(err.code, WM_E_BAD_NAME);
		ck_assert_ptr_null(wm_store_load_scene(s, bad[i], NULL, &err));
		ck_assert_int_eq(err.code, WM_E_BAD_NAME);
	}
	ck_assert(!exists(dir, "x.json"));
	ck_assert(!exists(dir, "../x.json"));
	ck_assert(!exists(dir, "scenes/a/b.json"));
	save_ok(s, good[9], "64", 2);
	expect_scene(s, good[9], "64", 2);
	wm_store_close(s);
}
END_TEST

START_TEST(open_sweeps_temps)
{
	char dir[512], sub[600];

	scratch(dir, sizeof dir, "sweep");
	wm_store_close(open_ok(dir));
	snprintf(sub, sizeof sub, "%s/scenes", dir);
	put(sub, "evening.json", "E", 1);
	put(sub, ".evening.json.tmp.4242", "half", 4);
	put(sub, ".x.json.tmp.1", "half", 4);
	put(sub, "keep.tmp.1", "k", 1);            /* not ".*.tmp.*" */
	put(sub, ".tmp.1", "k", 1);                /* not ".*.tmp.*" either */
	put(dir, ".live.json.tmp.77", "half", 4);
	put(dir, "live.json", "L", 1);
	ck_assert_int_eq(count_temps(sub), 4);

	struct wm_store *s = open_ok(dir);
	ck_assert(!exists(sub, ".evening.json.tmp.4242"));
	ck_assert(!exists(sub, ".x.json.tmp.1"));
	ck_assert(!exists(dir, ".live.json.tmp.77"));
	ck_assert(exists(sub, "keep.tmp.1"));
	ck_assert(exists(sub, ".tmp.1"));
	expect_scene(s, "evening", "E", 1);
	ck_assert(exists(dir, "live.json"));
	wm_store_close(s);
}
END_TEST

START_TEST(open_failures)
{
	char dir[512], bad[600];
	struct wm_err err = { 0 };

	scratch(dir, sizeof dir, "openfail");
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	put(dir, "file", "x", 1);
	snprintf(bad, sizeof bad, "%s/file/state", dir);
	ck_assert_ptr_null(wm_store_open(bad, &err));
	expect_err(&err, WM_E_IO, "is not a folder");
	expect_err(&err, WM_E_IO, bad);

	ck_assert_ptr_null(wm_store_open("", &err));
	ck_assert_int_eq(err.code, WM_E_IO);

	/* scenes/ as a symbolic link is not followed. */
	snprintf(bad, sizeof bad, "%s/linked", dir);
	ck_assert_int_eq(mkdir(bad, 0700), 0);
	char target[700], link[700];
	snprintf(target, sizeof target, "%s/elsewhere", dir);
	ck_assert_int_eq(mkdir(target, 0700), 0);
	snprintf(link, sizeof link, "%s/scenes", bad);
	ck_assert_int_eq(symlink(target, link), 0);
	ck_assert_ptr_null(wm_store_open(bad, &err));
	expect_err(&err, WM_E_IO, "symbolic link");
}
END_TEST

START_TEST(size_caps_and_odd_files)
{
	char dir[512], sub[600], path[700];
	struct wm_err err = { 0 };
	char *big = malloc(MIB + 1);

	ck_assert_ptr_nonnull(big);
	memset(big, 'b', MIB + 1);
	scratch(dir, sizeof dir, "caps");
	struct wm_store *s = open_ok(dir);
	snprintf(sub, sizeof sub, "%s/scenes", dir);

	/* 1 MiB exactly is fine, one byte more is refused, both ways. */
	save_ok(s, "max", big, MIB);
	expect_scene(s, "max", big, MIB);
	ck_assert_int_eq(wm_store_save_scene(s, "over", big, MIB + 1, &err), -1);
	expect_err(&err, WM_E_OUT_OF_RANGE, "1 MiB");
	ck_assert(!exists(sub, "over.json"));
	put(sub, "over.json", big, MIB + 1);
	ck_assert_ptr_null(wm_store_load_scene(s, "over", NULL, &err));
	expect_err(&err, WM_E_IO, "scenes/over.json");
	expect_err(&err, WM_E_IO, "over 1 MiB");
	put(dir, "live.json", big, MIB + 1);
	ck_assert_ptr_null(wm_store_load_live(s, NULL, &err));
	expect_err(&err, WM_E_IO, "over 1 MiB");

	/* A symbolic link is not followed, even to a readable file. */
	snprintf(path, sizeof path, "%s/max.json", sub);
	char link[700];
	snprintf(link, sizeof link, "%s/link.json", sub);
	ck_assert_int_eq(symlink(path, link), 0);
	ck_assert_ptr_null(wm_store_load_scene(s, "link", NULL, &err));
	expect_err(&err, WM_E_IO, "symbolic link");

	/* A FIFO must not hang the control thread. */
	snprintf(path, sizeof path, "%s/fifo.json", sub);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_ptr_null(wm_store_load_scene(s, "fifo", NULL, &err));
	expect_err(&err, WM_E_IO, "not a regular file");

	/* A folder under a scene's name. */
	snprintf(path, sizeof path, "%s/dir.json", sub);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_ptr_null(wm_store_load_scene(s, "dir", NULL, &err));
	ck_assert_int_eq(err.code, WM_E_IO);
	ck_assert_int_eq(wm_store_save_scene(s, "dir", "x", 1, &err), -1);
	expect_err(&err, WM_E_IO, "rename failed");
	ck_assert_int_eq(count_temps(sub), 0);
	wm_store_close(s);
	free(big);
}
END_TEST

/* ---- kill -9 during save ---- */

#define CRASH_SIZE ((size_t)512 * 1024)
#define CRASH_ROUNDS 300
#define CRASH_BUDGET_US 6000000LL

/* Generation g of a large scene: a header naming g, a filler that differs
 * from one generation to the next, a trailer. */
static void crash_content(char *buf, unsigned g)
{
	int n = snprintf(buf, 64, "{\"gen\":%u,\"fill\":\"", g);

	memset(buf + n, 'a' + (int)(g % 26), CRASH_SIZE - (size_t)n - 3);
	buf[CRASH_SIZE - 3] = '"';
	buf[CRASH_SIZE - 2] = '}';
	buf[CRASH_SIZE - 1] = '\n';
}

/* A child that saves buf and exits (0 on success); not waited for. */
static pid_t start_save(struct wm_store *s, const char *buf)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int r = wm_store_save_scene(s, "crash", buf, CRASH_SIZE, NULL);
		_exit(r == 0 ? 0 : 1);
	}
	return pid;
}

static int reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		ck_assert_int_eq(errno, EINTR);
	return status;
}

/* Which generation the file holds: old or new, or -1 for anything else. */
static int crash_which(struct wm_store *s, const char *old, const char *new)
{
	struct wm_err err = { 0 };
	size_t len;
	char *got = wm_store_load_scene(s, "crash", &len, &err);

	ck_assert_msg(got != NULL, "scene gone after a kill: %s", err.msg);
	int which = -1;
	if (len == CRASH_SIZE && memcmp(got, old, len) == 0)
		which = 0;
	else if (len == CRASH_SIZE && memcmp(got, new, len) == 0)
		which = 1;
	free(got);
	return which;
}

START_TEST(kill9_during_save)
{
	char dir[512], sub[600];
	char *old = malloc(CRASH_SIZE), *new = malloc(CRASH_SIZE);
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	unsigned gen = 0;
	int rounds = 0, killed_old = 0, killed_new = 0, finished = 0;

	ck_assert(old && new);
	scratch(dir, sizeof dir, "kill9");
	snprintf(sub, sizeof sub, "%s/scenes", dir);
	struct wm_store *s = open_ok(dir);
	crash_content(old, gen);
	save_ok(s, "crash", old, CRASH_SIZE);

	/* How long a whole fork + save takes here: the kills are spread over
	 * a little more than that. */
	long long t0 = wm_now_us();
	for (int i = 0; i < 3; i++) {
		crash_content(new, ++gen);
		ck_assert_int_eq(reap(start_save(s, new)), 0);
	}
	long long window = (wm_now_us() - t0) / 3 * 5 / 4 + 1;
	memcpy(old, new, CRASH_SIZE);

	long long start = wm_now_us();
	while (rounds < CRASH_ROUNDS && wm_now_us() - start < CRASH_BUDGET_US) {
		crash_content(new, ++gen);
		pid_t pid = start_save(s, new);
		long long delay = (long long)rand_r(&seed) % window;
		struct timespec ts = { (time_t)(delay / 1000000), (long)(delay % 1000000) * 1000 };
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		int status = reap(pid);
		int which = crash_which(s, old, new);
		ck_assert_msg(which >= 0, "round %d (seed %u, delay %lld us): the scene is "
			      "neither the old nor the new version", rounds, seed, delay);
		if (WIFEXITED(status)) {
			ck_assert_msg(WEXITSTATUS(status) == 0, "save failed in round %d", rounds);
			ck_assert_msg(which == 1, "round %d: save acknowledged, old file left",
				      rounds);
			finished++;
		} else {
			ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
			if (which)
				killed_new++;
			else
				killed_old++;
		}
		if (which)
			memcpy(old, new, CRASH_SIZE);
		rounds++;
	}
	printf("kill9_during_save: %d rounds in %.1f s (window %lld us): %d killed before "
	       "the rename, %d killed after it, %d finished; %d temp files left\n",
	       rounds, (double)(wm_now_us() - start) / 1e6, window, killed_old, killed_new,
	       finished, count_temps(sub));
	ck_assert_int_ge(rounds, 50);
	/* The kills must really have hit saves in flight, or this proved nothing. */
	ck_assert_int_gt(killed_old, 0);
	ck_assert_int_gt(killed_new + finished, 0);
	wm_store_close(s);

	/* A restart sweeps whatever the killed saves left. */
	s = open_ok(dir);
	ck_assert_int_eq(count_temps(sub), 0);
	ck_assert_int_eq(crash_which(s, old, old), 0);
	wm_store_close(s);
	free(old);
	free(new);
}
END_TEST

/* ---- failing writes ---- */

#define OLD_TEXT "{\"old\":true}\n"
#define BIG_SAVE ((size_t)64 * 1024)
#define FULL_SAVE ((size_t)16 * 1024)    /* fits the 64 KiB tmpfs once it is emptied */

/* In a child limited to limit bytes per file, a save of BIG_SAVE bytes must
 * fail at write with EFBIG; the old file stays, no temp file is left. */
static void save_over_fsize_limit(const char *dir)
{
	char sub[600], msg[WM_ERR_MSG_MAX] = "";
	int fds[2];

	snprintf(sub, sizeof sub, "%s/scenes", dir);
	struct wm_store *s = open_ok(dir);
	save_ok(s, "evening", OLD_TEXT, strlen(OLD_TEXT));
	ck_assert_int_eq(pipe(fds), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct rlimit rl = { 4096, 4096 };
		struct wm_err err = { 0 };
		char *data = calloc(1, BIG_SAVE);
		signal(SIGXFSZ, SIG_IGN);
		if (!data || setrlimit(RLIMIT_FSIZE, &rl) < 0)
			_exit(2);
		memset(data, 'n', BIG_SAVE);
		int r = wm_store_save_scene(s, "evening", data, BIG_SAVE, &err);
		(void)!write(fds[1], err.msg, strlen(err.msg));
		_exit(r == -1 && err.code == WM_E_IO ? 0 : 1);
	}
	close(fds[1]);
	ssize_t n = read(fds[0], msg, sizeof msg - 1);
	close(fds[0]);
	ck_assert_int_ge(n, 0);
	msg[n] = '\0';
	int status = reap(pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "the save over RLIMIT_FSIZE did not fail as it should: \"%s\"", msg);
	ck_assert_msg(strstr(msg, "cannot save scenes/evening.json: write failed: File too "
			     "large") != NULL, "%s", msg);
	expect_scene(s, "evening", OLD_TEXT, strlen(OLD_TEXT));
	ck_assert_int_eq(count_temps(sub), 0);
	wm_store_close(s);
}

START_TEST(write_error_efbig)
{
	char dir[512];

	scratch(dir, sizeof dir, "efbig");
	save_over_fsize_limit(dir);
}
END_TEST

/* tmpfs fixtures: mounted by the runner process (unchecked), so the
 * unmount happens whatever a test does. */
static char full_dir[512], ro_dir[512];
static char full_why[160], ro_why[160];
static bool full_mounted, ro_mounted;

static bool mount_tmpfs(char *dir, size_t len, const char *tag, char *why, size_t why_len)
{
	scratch(dir, len, tag);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(why, why_len, "mkdir %s: %s", dir, strerror(errno));
		return false;
	}
	if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64k,mode=0700")
	    < 0) {
		snprintf(why, why_len, "mount -t tmpfs on %s: %s", dir, strerror(errno));
		return false;
	}
	return true;
}

static void unmount_tmpfs(const char *dir, bool *mounted)
{
	if (*mounted && umount2(dir, MNT_DETACH) < 0)
		fprintf(stderr, "check_store: umount %s: %s\n", dir, strerror(errno));
	*mounted = false;
}

static void full_up(void)
{
	full_mounted = mount_tmpfs(full_dir, sizeof full_dir, "full", full_why, sizeof full_why);
}

static void full_down(void)
{
	unmount_tmpfs(full_dir, &full_mounted);
}

static void ro_up(void)
{
	ro_mounted = mount_tmpfs(ro_dir, sizeof ro_dir, "ro", ro_why, sizeof ro_why);
}

static void ro_down(void)
{
	unmount_tmpfs(ro_dir, &ro_mounted);
}

START_TEST(disk_full)
{
	char dir[600], sub[700], path[700];
	struct wm_err err = { 0 };
	char *data = malloc(BIG_SAVE);

	ck_assert_ptr_nonnull(data);
	memset(data, 'n', BIG_SAVE);
	if (!full_mounted) {
		printf("disk_full: no tmpfs (%s); failing writes tested with RLIMIT_FSIZE "
		       "instead\n", full_why);
		scratch(dir, sizeof dir, "full-fallback");
		save_over_fsize_limit(dir);
		free(data);
		return;
	}
	snprintf(dir, sizeof dir, "%s/state", full_dir);
	snprintf(sub, sizeof sub, "%s/scenes", dir);
	struct wm_store *s = open_ok(dir);
	save_ok(s, "evening", OLD_TEXT, strlen(OLD_TEXT));

	/* Fill the filesystem to the last byte. */
	snprintf(path, sizeof path, "%s/filler", full_dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	while (write(fd, data, 4096) > 0)
		;
	ck_assert_int_eq(errno, ENOSPC);
	while (write(fd, data, 1) > 0)
		;
	ck_assert_int_eq(close(fd), 0);

	ck_assert_int_eq(wm_store_save_scene(s, "evening", data, FULL_SAVE, &err), -1);
	ck_assert_int_eq(err.code, WM_E_IO);
	ck_assert_msg(strstr(err.msg, "cannot save scenes/evening.json: write failed: No space "
			     "left on device; nothing was changed") != NULL, "%s", err.msg);
	printf("disk_full: tmpfs, full: \"%s\"\n", err.msg);
	expect_scene(s, "evening", OLD_TEXT, strlen(OLD_TEXT));
	ck_assert_int_eq(count_temps(sub), 0);
	ck_assert_int_eq(wm_store_save_live(s, data, FULL_SAVE, &err), -1);
	expect_err(&err, WM_E_IO, "cannot save live.json: write failed: No space");
	ck_assert_int_eq(count_temps(dir), 0);

	/* Space back: the same save goes through. */
	ck_assert_int_eq(unlink(path), 0);
	save_ok(s, "evening", data, FULL_SAVE);
	expect_scene(s, "evening", data, FULL_SAVE);
	wm_store_close(s);
	free(data);
}
END_TEST

START_TEST(read_only)
{
	char dir[600], sub[700];
	struct wm_err err = { 0 };

	if (!ro_mounted) {
		printf("SKIP read_only: %s; the read-only case is not tested here\n", ro_why);
		return;
	}
	snprintf(dir, sizeof dir, "%s/state", ro_dir);
	snprintf(sub, sizeof sub, "%s/scenes", dir);
	struct wm_store *s = open_ok(dir);
	save_ok(s, "evening", OLD_TEXT, strlen(OLD_TEXT));
	wm_store_close(s);
	put(sub, ".evening.json.tmp.99", "x", 1);  /* cannot be swept once read-only */
	ck_assert_int_eq(mount(NULL, ro_dir, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID |
			       MS_NODEV | MS_NOEXEC, NULL), 0);

	/* It still opens (its scenes can be read), and refuses every change. */
	s = open_ok(dir);
	expect_scene(s, "evening", OLD_TEXT, strlen(OLD_TEXT));
	ck_assert_int_eq(wm_store_save_scene(s, "evening", "new", 3, &err), -1);
	ck_assert_int_eq(err.code, WM_E_IO);
	ck_assert_msg(strstr(err.msg, "cannot save scenes/evening.json: creating the temp file "
			     "failed: Read-only file system") != NULL, "%s", err.msg);
	ck_assert_int_eq(wm_store_save_live(s, "new", 3, &err), -1);
	expect_err(&err, WM_E_IO, "Read-only file system");
	ck_assert_int_eq(wm_store_delete_scene(s, "evening", &err), -1);
	expect_err(&err, WM_E_IO, "Read-only file system");
	ck_assert_int_eq(wm_store_rename_scene(s, "evening", "night", &err), -1);
	expect_err(&err, WM_E_IO, "Read-only file system");
	expect_scene(s, "evening", OLD_TEXT, strlen(OLD_TEXT));
	wm_store_close(s);

	/* A missing state folder on a read-only filesystem cannot be made. */
	snprintf(dir, sizeof dir, "%s/other", ro_dir);
	ck_assert_ptr_null(wm_store_open(dir, &err));
	expect_err(&err, WM_E_IO, "Read-only file system");
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, overwrite_keeps_only_new);
	tcase_add_test(tc, list_sorted_and_filtered);
	tcase_add_test(tc, delete_scene);
	tcase_add_test(tc, not_found_lists_scenes);
	tcase_add_test(tc, rename_scene);
	tcase_add_test(tc, name_rule);
	tcase_add_test(tc, open_sweeps_temps);
	tcase_add_test(tc, open_failures);
	tcase_add_test(tc, size_caps_and_odd_files);
	tcase_add_test(tc, write_error_efbig);
	suite_add_tcase(s, tc);

	TCase *crash = tcase_create("crash");
	tcase_set_timeout(crash, 60);
	tcase_add_test(crash, kill9_during_save);
	suite_add_tcase(s, crash);

	TCase *full = tcase_create("disk_full");
	tcase_add_unchecked_fixture(full, full_up, full_down);
	tcase_add_test(full, disk_full);
	suite_add_tcase(s, full);

	TCase *ro = tcase_create("read_only");
	tcase_add_unchecked_fixture(ro, ro_up, ro_down);
	tcase_add_test(ro, read_only);
	suite_add_tcase(s, ro);
	return s;
}

int main(void)
{
	/* One scratch folder for the whole run, made (and removed) by this
	 * process, not by the first forked test. */
	if (!wm_tmpdir()) {
		perror("check_store: scratch directory");
		return EXIT_FAILURE;
	}
	return wm_t_run_suite(store_suite());
}
