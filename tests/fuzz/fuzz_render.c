/* fuzz_render.c - fuzz harness for render requests (render/request.c) and
 * the client path resolver (common/path.c). The input is a render request's
 * JSON text; it is also used whole as a client path. Properties: an
 * accepted request has a canonical form that is valid JSON, and every path
 * in it passes the lexical check; and a client path, whatever its bytes,
 * either is refused or opens a file inside its folder (never outside, not
 * through the symlinks planted in it), with openat2 and with the
 * component-walk fallback. */
#define _GNU_SOURCE /* mkdtemp */
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/path.h"
#include "common/path_internal.h"
#include "render/request.h"
#include "tests/fuzz/fuzz.h"

static char root[] = "/tmp/wm-fuzz-render.XXXXXX";
static char media[PATH_MAX], renders[PATH_MAX];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void remove_folders(void)
{
	nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void make_file(const char *dir, const char *name)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	FUZZ_CHECK(f, "cannot create %s", path);
	fclose(f);
}

static void make_link(const char *dir, const char *name, const char *target)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FUZZ_CHECK(symlink(target, path) == 0, "cannot create the symlink %s", path);
}

/* root/{media,renders}, each with files, a folder and symlinks that point
 * inside, up and out. */
static void make_folders(void)
{
	FUZZ_CHECK(mkdtemp(root), "cannot create a temporary folder");
	atexit(remove_folders);
	const char *dirs[] = { media, renders };
	snprintf(media, sizeof media, "%s/media", root);
	snprintf(renders, sizeof renders, "%s/renders", root);
	make_file(root, "secret.wav");
	for (int i = 0; i < 2; i++) {
		char sub[PATH_MAX + 8];
		FUZZ_CHECK(mkdir(dirs[i], 0700) == 0, "mkdir %s", dirs[i]);
		snprintf(sub, sizeof sub, "%s/music", dirs[i]);
		FUZZ_CHECK(mkdir(sub, 0700) == 0, "mkdir %s", sub);
		make_file(dirs[i], "a.wav");
		make_file(sub, "bed.wav");
		make_link(dirs[i], "up", "..");
		make_link(dirs[i], "secret", "../secret.wav");
		make_link(dirs[i], "etc", "/etc");
		make_link(dirs[i], "self", ".");
		make_link(sub, "back", "../a.wav");
	}
}

/* Open rel beneath dir; if it opens, the file must be inside dir. */
static void check_confined(const char *dir, const char *rel, const char *what)
{
	struct wm_err err = { 0 };
	int fd = wm_path_open_beneath(dir, rel, O_RDONLY, 0, what, &err);
	if (fd < 0) {
		FUZZ_CHECK(err.code != WM_OK && err.msg[0], "path refused without a reason");
		return;
	}
	char link[64], real[PATH_MAX];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, real, sizeof real - 1);
	close(fd);
	FUZZ_CHECK(n > 0, "readlink %s failed", link);
	real[n] = '\0';
	size_t dlen = strlen(dir);
	FUZZ_CHECK(strncmp(real, dir, dlen) == 0 && (real[dlen] == '/' || real[dlen] == '\0'),
		   "\"%s\" beneath the %s %s opened %s", rel, what, dir, real);
}

static void check_path_both_ways(const char *dir, const char *rel, const char *what)
{
	wm_path_force_fallback(false);
	check_confined(dir, rel, what);
	wm_path_force_fallback(true);
	check_confined(dir, rel, what);
	wm_path_force_fallback(false);
}

static void check_request(const char *text, size_t len)
{
	static struct wm_render_request req;
	struct wm_render_limits lim = { .max_duration_s = 3600, .channels = 8, .zones = 2 };
	struct wm_err err = { 0 };
	if (wm_render_request_parse(text, len, &lim, &req, &err) < 0) {
		FUZZ_CHECK(err.code != WM_OK && err.msg[0], "request refused without a reason");
		return;
	}
	char *canon = wm_render_request_canonical(&req, req.scene);
	FUZZ_CHECK(canon, "no canonical form");
	json_error_t jerr;
	json_t *back = json_loads(canon, 0, &jerr);
	FUZZ_CHECK(json_is_object(back), "canonical form is not a JSON object (%s): %s",
		   jerr.text, canon);
	json_decref(back);
	free(canon);
	FUZZ_CHECK(wm_path_check(req.out_file, "render folder", &err) == 0,
		   "accepted output path fails the check: %s", err.msg);
	check_path_both_ways(renders, req.out_file, "render folder");
	for (int i = 0; i < req.ninputs; i++) {
		FUZZ_CHECK(wm_path_check(req.input[i].file, "media folder", &err) == 0,
			   "accepted input path fails the check: %s", err.msg);
		check_path_both_ways(media, req.input[i].file, "media folder");
	}
	wm_render_request_free(&req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!media[0])
		make_folders();
	check_request((const char *)data, size);
	if (size >= WM_PATH_MAX)
		return 0;
	char rel[WM_PATH_MAX];
	memcpy(rel, data, size);
	rel[size] = '\0';
	check_path_both_ways(media, rel, "media folder");
	return 0;
}
