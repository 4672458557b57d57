/* check_path.c - common/path: the lexical rules and their messages, and
 * wm_path_open_beneath on a real folder tree with both resolvers (openat2
 * with RESOLVE_BENEATH, and the component walk used without it): plain and
 * nested files open, missing files are not_found, absolute paths and ".."
 * are bad_path, a symlink that stays inside works with openat2 (the walk
 * refuses every symlink), and a file or folder symlink that leads outside
 * is refused by both. */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/path.h"
#include "common/path_internal.h"

#include "tests/support/proc.h"
#include "tests/support/suite.h"

#define WHAT "media folder"

static char media[4096], outside[4096];

static void put(const char *dir, const char *rel, const char *text)
{
	char path[8192];
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	FILE *f = fopen(path, "w");
	ck_assert_msg(f != NULL, "create %s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
}

static void link_at(const char *target, const char *rel)
{
	char path[8192];
	snprintf(path, sizeof path, "%s/%s", media, rel);
	ck_assert_msg(symlink(target, path) == 0, "symlink %s: %s", path, strerror(errno));
}

/* A fresh tree per test:
 *   media/a.txt "A", media/voice/sub/b.txt "B", media/voice/in.txt -> ../a.txt,
 *   media/abs.txt -> MEDIA/a.txt (absolute, pointing inside),
 *   media/out.txt -> ../outside/secret.txt, media/outdir -> ../outside,
 *   media/vlink -> voice (a folder symlink that stays inside),
 *   outside/secret.txt "SECRET". */
static void setup(void)
{
	const char *base = wm_tmpdir();
	static int n;
	ck_assert_ptr_nonnull(base);
	n++;
	snprintf(media, sizeof media, "%s/path%d-%d/media", base, (int)getpid(), n);
	snprintf(outside, sizeof outside, "%s/path%d-%d/outside", base, (int)getpid(), n);
	char top[4096];
	snprintf(top, sizeof top, "%s/path%d-%d", base, (int)getpid(), n);
	ck_assert_int_eq(mkdir(top, 0700), 0);
	ck_assert_int_eq(mkdir(media, 0700), 0);
	ck_assert_int_eq(mkdir(outside, 0700), 0);
	char d[8192];
	snprintf(d, sizeof d, "%s/voice", media);
	ck_assert_int_eq(mkdir(d, 0700), 0);
	snprintf(d, sizeof d, "%s/voice/sub", media);
	ck_assert_int_eq(mkdir(d, 0700), 0);
	put(media, "a.txt", "A");
	put(media, "voice/sub/b.txt", "B");
	put(outside, "secret.txt", "SECRET");
	link_at("../a.txt", "voice/in.txt");
	char abs[8192];
	snprintf(abs, sizeof abs, "%s/a.txt", media);
	link_at(abs, "abs.txt");
	link_at("../outside/secret.txt", "out.txt");
	link_at("../outside", "outdir");
	link_at("voice", "vlink");
	wm_path_force_fallback(false);
}

static bool have_openat2(void)
{
	struct open_how how = { .flags = O_RDONLY | O_DIRECTORY, .resolve = RESOLVE_BENEATH };
	long fd = syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof how);
	if (fd < 0)
		return false;
	close((int)fd);
	return true;
}

/* _i selects the resolver: 0 openat2 (when the kernel has it), 1 the walk. */
static bool use_resolver(int i)
{
	wm_path_force_fallback(i == 1);
	if (i == 0 && !have_openat2()) {
		fprintf(stderr, "SKIP: openat2 unavailable here; only the walk is tested\n");
		return false;
	}
	return true;
}

static void expect_content(const char *rel, const char *want)
{
	struct wm_err err = { 0 };
	int fd = wm_path_open_beneath(media, rel, O_RDONLY, 0, WHAT, &err);
	ck_assert_msg(fd >= 0, "%s: %s", rel, err.msg);
	char buf[64] = { 0 };
	ssize_t n = read(fd, buf, sizeof buf - 1);
	ck_assert_int_ge(n, 0);
	ck_assert_str_eq(buf, want);
	int flags = fcntl(fd, F_GETFD);
	ck_assert_msg(flags & FD_CLOEXEC, "%s: opened without O_CLOEXEC", rel);
	close(fd);
}

static void expect_refused(const char *rel, enum wm_errcode code, const char *in_msg)
{
	struct wm_err err = { 0 };
	int fd = wm_path_open_beneath(media, rel, O_RDONLY, 0, WHAT, &err);
	ck_assert_msg(fd < 0, "%s: opened, should be refused", rel);
	ck_assert_msg(err.code == code, "%s: code %s, want %s (%s)", rel,
		      wm_errcode_name(err.code), wm_errcode_name(code), err.msg);
	ck_assert_msg(strstr(err.msg, in_msg) != NULL, "%s: message \"%s\" lacks \"%s\"", rel,
		      err.msg, in_msg);
}

static void check_ok(const char *rel)
{
	struct wm_err err = { 0 };
	ck_assert_msg(wm_path_check(rel, WHAT, &err) == 0, "%s refused: %s", rel, err.msg);
}

static void check_bad(const char *rel, const char *in_msg)
{
	struct wm_err err = { 0 };
	ck_assert_msg(wm_path_check(rel, WHAT, &err) < 0, "%s accepted", rel ? rel : "NULL");
	ck_assert_int_eq(err.code, WM_E_BAD_PATH);
	ck_assert_msg(strstr(err.msg, in_msg) != NULL, "message \"%s\" lacks \"%s\"", err.msg,
		      in_msg);
}

START_TEST(lexical_rules)
{
	check_ok("a");
	check_ok("voice/welcome.wav");
	check_ok(".hidden");
	check_ok("..dots");
	check_ok("a..b/c.wav");
	check_ok("name with spaces.wav");
	check_bad(NULL, "empty path");
	check_bad("", "empty path");
	check_bad("/etc/passwd", "absolute paths are not allowed");
	check_bad("..", "\"..\" is not allowed");
	check_bad("a/../b", "\"..\" is not allowed");
	check_bad("a/..", "\"..\" is not allowed");
	check_bad("./a", "\".\" is not allowed");
	check_bad("a//b", "empty path component");
	check_bad("a/", "empty path component");
	check_bad("a\nb", "control characters");
	check_bad("a\x7f", "control characters");

	char long_path[WM_PATH_MAX + 10];
	memset(long_path, 'x', sizeof long_path - 1);
	long_path[sizeof long_path - 1] = '\0';
	check_bad(long_path, "path too long");
	long_path[WM_PATH_MAX - 1] = '\0'; /* 1023 bytes: the longest allowed */
	check_ok(long_path);
}
END_TEST

START_TEST(messages_are_exact)
{
	struct wm_err err = { 0 };
	ck_assert_int_lt(wm_path_check("voice/../../etc/passwd", WHAT, &err), 0);
	ck_assert_str_eq(err.msg, "voice/../../etc/passwd: \"..\" is not allowed; paths are "
				  "relative to the media folder");
	ck_assert_int_lt(wm_path_check("/etc/passwd", WHAT, &err), 0);
	ck_assert_str_eq(err.msg, "/etc/passwd: absolute paths are not allowed; give a path "
				  "relative to the media folder");
	/* A control character is not echoed raw into a reply line. */
	ck_assert_int_lt(wm_path_check("x\ny", WHAT, &err), 0);
	ck_assert_ptr_null(strchr(err.msg, '\n'));
	/* A huge path is cut in the message, so the explanation survives. */
	char long_path[WM_PATH_MAX + 10];
	memset(long_path, 'x', sizeof long_path - 1);
	long_path[sizeof long_path - 1] = '\0';
	ck_assert_int_lt(wm_path_check(long_path, WHAT, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "at most 1023 bytes"));
}
END_TEST

START_TEST(opens_plain_and_nested)
{
	if (!use_resolver(_i))
		return;
	expect_content("a.txt", "A");
	expect_content("voice/sub/b.txt", "B");
}
END_TEST

START_TEST(missing_and_malformed)
{
	if (!use_resolver(_i))
		return;
	expect_refused("nope.wav", WM_E_NOT_FOUND, "nope.wav: no such file in the media folder");
	expect_refused("voice/nope/x.wav", WM_E_NOT_FOUND, "no such file");
	expect_refused("a.txt/x.wav", WM_E_NOT_FOUND, "not a folder");
	expect_refused("/etc/passwd", WM_E_BAD_PATH, "absolute paths are not allowed");
	expect_refused("voice/../../outside/secret.txt", WM_E_BAD_PATH, "\"..\" is not allowed");
	expect_refused("", WM_E_BAD_PATH, "empty path");
}
END_TEST

START_TEST(symlink_inside_openat2)
{
	if (!use_resolver(0))
		return;
	expect_content("voice/in.txt", "A");
	expect_content("vlink/sub/b.txt", "B");
	/* An absolute symlink is refused even when it points inside: the
	 * kernel cannot tell where "/" is beneath the base. */
	expect_refused("abs.txt", WM_E_BAD_PATH, "leads outside the media folder");
}
END_TEST

START_TEST(symlink_inside_walk_refused)
{
	use_resolver(1);
	expect_refused("voice/in.txt", WM_E_BAD_PATH, "symbolic link");
	expect_refused("vlink/sub/b.txt", WM_E_BAD_PATH, "symbolic link");
	expect_refused("abs.txt", WM_E_BAD_PATH, "symbolic link");
}
END_TEST

START_TEST(symlink_escape_refused)
{
	if (!use_resolver(_i))
		return;
	const char *want = _i == 0 ? "out.txt: leads outside the media folder (through a symlink)"
				   : "symbolic link";
	expect_refused("out.txt", WM_E_BAD_PATH, want);
	want = _i == 0 ? "leads outside the media folder" : "symbolic link";
	expect_refused("outdir/secret.txt", WM_E_BAD_PATH, want);
}
END_TEST

START_TEST(creates_beneath)
{
	if (!use_resolver(_i))
		return;
	struct wm_err err = { 0 };
	int fd = wm_path_open_beneath(media, "voice/new.txt", O_WRONLY | O_CREAT | O_EXCL, 0640,
				      WHAT, &err);
	ck_assert_msg(fd >= 0, "create: %s", err.msg);
	ck_assert_int_eq(write(fd, "N", 1), 1);
	struct stat st;
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777 & ~0640u, 0); /* the mode given, less the umask */
	close(fd);
	expect_content("voice/new.txt", "N");
	/* O_CREAT through an escaping folder link must not create outside. */
	fd = wm_path_open_beneath(media, "outdir/planted.txt", O_WRONLY | O_CREAT, 0600, WHAT,
				  &err);
	ck_assert_int_lt(fd, 0);
	ck_assert_int_eq(err.code, WM_E_BAD_PATH);
	char planted[8192];
	snprintf(planted, sizeof planted, "%s/planted.txt", outside);
	ck_assert_int_ne(access(planted, F_OK), 0);
}
END_TEST

START_TEST(base_missing)
{
	struct wm_err err = { 0 };
	int fd = wm_path_open_beneath("/nonexistent-wm-media", "a.txt", O_RDONLY, 0, WHAT, &err);
	ck_assert_int_lt(fd, 0);
	ck_assert_int_eq(err.code, WM_E_IO);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent-wm-media"));
}
END_TEST

static Suite *path_suite(void)
{
	Suite *s = suite_create("path");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, lexical_rules);
	tcase_add_test(tc, messages_are_exact);
	tcase_add_loop_test(tc, opens_plain_and_nested, 0, 2);
	tcase_add_loop_test(tc, missing_and_malformed, 0, 2);
	tcase_add_test(tc, symlink_inside_openat2);
	tcase_add_test(tc, symlink_inside_walk_refused);
	tcase_add_loop_test(tc, symlink_escape_refused, 0, 2);
	tcase_add_loop_test(tc, creates_beneath, 0, 2);
	tcase_add_test(tc, base_missing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return wm_t_run_suite(path_suite());
}
