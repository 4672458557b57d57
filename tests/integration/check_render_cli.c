/* check_render_cli.c - washmixd --render, the one-shot offline mode, run as
 * the binary (no JACK server, no daemon): a request file with a named scene
 * from the state folder prints ok JSON and writes the file; the request on
 * stdin works; an unknown scene is not_found with exit status 1 and nothing
 * written; the render folder is created when missing. */
#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/daemon_fixture.h"
#include "tests/support/proc.h"
#include "tests/support/suite.h"

static char base[2048], state[2100], media[2100], renders[2100];

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
}

static void setup(void)
{
	char path[4096];
	SF_INFO info = { .samplerate = 48000, .channels = 2,
			 .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16 };
	static float buf[2 * 48000];

	snprintf(base, sizeof base, "%.2000s/rcliXXXXXX", wm_tmpdir());
	ck_assert_ptr_nonnull(mkdtemp(base));
	snprintf(state, sizeof state, "%s/state", base);
	snprintf(media, sizeof media, "%s/media", base);
	snprintf(renders, sizeof renders, "%s/state/out/renders", base);
	ck_assert_int_eq(mkdir(state, 0750), 0);
	ck_assert_int_eq(mkdir(media, 0750), 0);
	snprintf(path, sizeof path, "%s/scenes", state);
	ck_assert_int_eq(mkdir(path, 0750), 0);
	snprintf(path, sizeof path, "%s/scenes/evening.json", state);
	put(path, "{\"format\":\"washmix-scene\",\"version\":1,\"name\":\"evening\","
		  "\"channels\":[{\"id\":1,\"gain\":-6}]}");
	for (int i = 0; i < 48000; i++)
		buf[2 * i] = buf[2 * i + 1] = (float)((i % 109) - 54) / 800.0f;
	snprintf(path, sizeof path, "%s/bed.wav", media);
	SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
	ck_assert_ptr_nonnull(sf);
	sf_writef_float(sf, buf, 48000);
	sf_close(sf);
}

/* Run washmixd --render ARG (with stdin_text piped when given); the first
 * stdout line parsed into *reply; returns the exit status. */
static int run(const char *arg, const char *stdin_text, json_t **reply)
{
	char cmd[16384], line[8192] = "";
	char req[4096];

	if (stdin_text) {
		snprintf(req, sizeof req, "%s/stdin.json", base);
		put(req, stdin_text);
	}
	snprintf(cmd, sizeof cmd,
		 "'%s' --state-dir '%s' --media-dir '%s' --render-dir '%s' --render '%s' %s%s%s",
		 wm_daemon_binary(), state, media, renders, arg, stdin_text ? "< '" : "",
		 stdin_text ? req : "", stdin_text ? "'" : "");
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	if (!fgets(line, sizeof line, p))
		line[0] = '\0';
	int status = pclose(p);
	json_error_t jerr;
	*reply = json_loads(line, 0, &jerr);
	ck_assert_msg(*reply != NULL, "not JSON: \"%s\"", line);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(renders_named_scene)
{
	char req[4096], out[4096];
	json_t *r;

	snprintf(req, sizeof req, "%s/req.json", base);
	put(req, "{\"scene\":\"evening\",\"inputs\":{\"1\":\"bed.wav\"},"
		 "\"output\":{\"file\":\"evening.flac\"}}");
	ck_assert_int_eq(run(req, NULL, &r), 0);
	ck_assert(json_is_true(json_object_get(r, "ok")));
	ck_assert_str_eq(json_string_value(json_object_get(r, "output")), "evening.flac");
	double lufs = json_number_value(json_object_get(r, "loudness"));
	ck_assert_msg(lufs > -14.5 && lufs < -13.5, "loudness %g", lufs);
	ck_assert(json_is_true(json_object_get(r, "reached_target")));
	ck_assert_int_eq(json_integer_value(json_object_get(r, "passes")), 2);
	ck_assert_double_eq_tol(json_number_value(json_object_get(r, "duration")), 1.0, 1e-9);
	json_decref(r);
	snprintf(out, sizeof out, "%s/evening.flac", renders);
	ck_assert_int_eq(access(out, R_OK), 0);
}
END_TEST

START_TEST(stdin_request)
{
	char out[4096];
	json_t *r;

	ck_assert_int_eq(run("-", "{\"inputs\":{\"2\":\"bed.wav\"},\"loudness\":null,"
				  "\"output\":{\"file\":\"s.wav\"}}", &r), 0);
	ck_assert(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	snprintf(out, sizeof out, "%s/s.wav", renders);
	ck_assert_int_eq(access(out, R_OK), 0);
}
END_TEST

START_TEST(inline_scene_applied)
{
	char out[4096];
	SF_INFO info = { 0 };
	float buf[2 * 512];
	json_t *r;

	ck_assert_int_eq(run("-", "{\"scene\":{\"format\":\"washmix-scene\",\"version\":1,"
				  "\"channels\":[{\"id\":1,\"mute\":true}]},"
				  "\"inputs\":{\"1\":\"bed.wav\"},\"loudness\":null,"
				  "\"output\":{\"file\":\"muted.wav\"}}", &r), 0);
	ck_assert(json_is_true(json_object_get(r, "ok")));
	ck_assert(json_is_null(json_object_get(r, "loudness")));
	json_decref(r);
	snprintf(out, sizeof out, "%s/muted.wav", renders);
	SNDFILE *sf = sf_open(out, SFM_READ, &info);
	ck_assert_ptr_nonnull(sf);
	ck_assert_int_eq(info.frames, 48000);
	sf_count_t n;
	while ((n = sf_readf_float(sf, buf, 512)) > 0)
		for (sf_count_t i = 0; i < 2 * n; i++)
			ck_assert(buf[i] == 0.0f);
	sf_close(sf);
}
END_TEST

START_TEST(unknown_scene)
{
	json_t *r;

	ck_assert_int_eq(run("-", "{\"scene\":\"morning\",\"inputs\":{\"1\":\"bed.wav\"},"
				  "\"output\":{\"file\":\"m.wav\"}}", &r), 1);
	ck_assert(json_is_false(json_object_get(r, "ok")));
	json_t *e = json_object_get(r, "error");
	ck_assert_str_eq(json_string_value(json_object_get(e, "code")), "not_found");
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(e, "message")), "evening"));
	json_decref(r);
	ck_assert_int_ne(access(renders, F_OK), 0); /* nothing created */
}
END_TEST

START_TEST(bad_request)
{
	json_t *r;

	ck_assert_int_eq(run("-", "{\"inputs\":{\"1\":\"bed.wav\"},\"output\":{\"file\":\"x.mp3\"}}",
			     &r), 1);
	json_t *e = json_object_get(r, "error");
	ck_assert_str_eq(json_string_value(json_object_get(e, "code")), "bad_request");
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(e, "message")),
				     "output.format"));
	json_decref(r);
}
END_TEST

static Suite *render_cli_suite(void)
{
	Suite *s = suite_create("render_cli");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, renders_named_scene);
	tcase_add_test(tc, stdin_request);
	tcase_add_test(tc, inline_scene_applied);
	tcase_add_test(tc, unknown_scene);
	tcase_add_test(tc, bad_request);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return wm_t_run_suite(render_cli_suite());
}
