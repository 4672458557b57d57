/* check_render_cli.c - washmixd --render, the one-shot offline mode, run as
 * the binary (no JACK server, no daemon): a request file with a named scene
 * from the state folder prints ok JSON and writes the file; the request on
 * stdin works; an unknown scene is not_found with exit status 1 and nothing
 * written; the render folder is created when missing. `washmix render
 * --local` runs it for a person. --render-max-duration bounds both a
 * requested duration and the longest input's end. A full disk (a 256 KiB
 * tmpfs in a private mount namespace) fails the render with the reason and
 * leaves no partial file. A 2-hour render of 8 inputs runs in flat memory
 * (RSS of the process sampled while it runs). */
#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include "tests/support/daemon_fixture.h"
#include "tests/support/proc.h"
#include "tests/support/media.h"
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

/* Run a shell command; its whole stdout (stderr too when the command says
 * 2>&1) into out; returns the exit status. */
static int shell(const char *cmd, char *out, size_t size)
{
	FILE *p = popen(cmd, "r");
	size_t len = 0, n;
	ck_assert_ptr_nonnull(p);
	while (len + 1 < size && (n = fread(out + len, 1, size - 1 - len, p)) > 0)
		len += n;
	out[len] = '\0';
	int status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Run washmixd FLAGS --render ARG (with stdin_text piped when given); the
 * first stdout line parsed into *reply; returns the exit status. */
static int run_with(const char *flags, const char *arg, const char *stdin_text, json_t **reply)
{
	char cmd[16384], out[8192];
	char req[4096];

	if (stdin_text) {
		snprintf(req, sizeof req, "%s/stdin.json", base);
		put(req, stdin_text);
	}
	snprintf(cmd, sizeof cmd,
		 "'%s' %s --state-dir '%s' --media-dir '%s' --render-dir '%s' %s --render '%s' "
		 "%s%s%s",
		 wm_daemon_binary(), wm_t_root_flag(), state, media, renders, flags, arg, stdin_text ? "< '" : "",
		 stdin_text ? req : "", stdin_text ? "'" : "");
	int status = shell(cmd, out, sizeof out);
	out[strcspn(out, "\n")] = '\0';
	json_error_t jerr;
	*reply = json_loads(out, 0, &jerr);
	ck_assert_msg(*reply != NULL, "not JSON: \"%s\"", out);
	return status;
}

static int run(const char *arg, const char *stdin_text, json_t **reply)
{
	return run_with("", arg, stdin_text, reply);
}

static const char *error_message(const json_t *reply)
{
	return json_string_value(json_object_get(json_object_get(reply, "error"), "message"));
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
	/* Without normalisation nothing is measured. */
	ck_assert(json_is_null(json_object_get(r, "loudness")));
	ck_assert(json_is_null(json_object_get(r, "true_peak")));
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

/* washmix render --local: the flags become a request that washmixd renders
 * here, found beside washmix (the build tree's daemon/ folder) with no
 * WASHMIXD set; the options after -- are washmixd's. */
START_TEST(cli_local)
{
	char cmd[16384], out[8192], path[4096];

	snprintf(cmd, sizeof cmd,
		 "env -u WASHMIXD '%s' render --local --scene evening --in 1=bed.wav --out "
		 "local.flac --lufs -16 -- %s --state-dir '%s' --media-dir '%s' --render-dir '%s' "
		 "2>&1",
		 wm_cli_binary(), wm_t_root_flag(), state, media, renders);
	ck_assert_msg(shell(cmd, out, sizeof out) == 0, "%s", out);
	ck_assert_msg(strstr(out, "done local.flac: -16.0 LUFS"), "output: %s", out);
	snprintf(path, sizeof path, "%s/local.flac", renders);
	ck_assert_int_eq(access(path, R_OK), 0);
	/* A failed render: exit status 1 and the reason. */
	snprintf(cmd, sizeof cmd,
		 "'%s' render --local --in 1=gone.wav --out g.wav -- %s --state-dir '%s' "
		 "--media-dir '%s' --render-dir '%s' 2>&1",
		 wm_cli_binary(), wm_t_root_flag(), state, media, renders);
	ck_assert_int_eq(shell(cmd, out, sizeof out), 1);
	ck_assert_msg(strstr(out, "failed g.wav: not_found") && strstr(out, "gone.wav"), "%s",
		      out);
	/* --json prints washmixd's answer as it is. */
	snprintf(cmd, sizeof cmd,
		 "WASHMIXD='%s' '%s' --json render --local --in 2=bed.wav --out j.wav "
		 "--no-normalise -- %s --state-dir '%s' --media-dir '%s' --render-dir '%s'",
		 wm_daemon_binary(), wm_cli_binary(), wm_t_root_flag(), state, media, renders);
	ck_assert_int_eq(shell(cmd, out, sizeof out), 0);
	json_t *r = json_loads(out, 0, NULL);
	ck_assert_msg(json_is_true(json_object_get(r, "ok")), "%s", out);
	ck_assert_double_eq_tol(json_number_value(json_object_get(r, "duration")), 1.0, 1e-9);
	json_decref(r);
	/* Options after -- without --local are a usage error. */
	snprintf(cmd, sizeof cmd, "'%s' render --in 1=bed.wav --out x.wav -- --x 2>&1",
		 wm_cli_binary());
	ck_assert_int_eq(shell(cmd, out, sizeof out), 64);
	ck_assert_msg(strstr(out, "with --local only"), "%s", out);
}
END_TEST

START_TEST(max_duration_configured)
{
	json_t *r;

	/* A requested duration over the limit, refused as the request is read. */
	ck_assert_int_eq(run_with("--render-max-duration 2", "-",
				  "{\"inputs\":{\"1\":\"bed.wav\"},\"duration\":3,"
				  "\"output\":{\"file\":\"d.wav\"}}", &r), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r, "error"), "code")),
			 "out_of_range");
	ck_assert_msg(strstr(error_message(r), "<= 2 s"), "%s", error_message(r));
	json_decref(r);
	/* No duration: the longest input ends at 1.5 s, past a 1 s limit. */
	ck_assert_int_eq(run_with("--render-max-duration 1", "-",
				  "{\"inputs\":{\"1\":{\"file\":\"bed.wav\",\"offset\":0.5}},"
				  "\"output\":{\"file\":\"d.wav\"}}", &r), 1);
	ck_assert_msg(strstr(error_message(r), "ends at 2 s, past the 1 s"), "%s",
		      error_message(r));
	json_decref(r);
	/* Within the limit it renders. */
	ck_assert_int_eq(run_with("--render-max-duration 2", "-",
				  "{\"inputs\":{\"1\":\"bed.wav\"},\"duration\":2,"
				  "\"loudness\":null,\"output\":{\"file\":\"d.wav\"}}", &r), 0);
	json_decref(r);
	/* And the setting itself is checked. */
	char cmd[4096], out[4096];
	snprintf(cmd, sizeof cmd, "'%s' --render-max-duration 0 --check-config 2>&1",
		 wm_daemon_binary());
	ck_assert_int_ne(shell(cmd, out, sizeof out), 0);
	ck_assert_msg(strstr(out, "1..86400"), "%s", out);
}
END_TEST

/* The render folder is a 256 KiB tmpfs mounted in a private user and mount
 * namespace (unshare -rm), so the disk fills without root and without
 * touching the machine's filesystems; what is left in it is listed after
 * washmixd exits, inside the namespace. */
START_TEST(disk_full)
{
	char cmd[16384], out[8192], full[4096], req[4096];

	if (system("unshare -rm true 2>/dev/null") != 0) {
		fprintf(stderr, "disk_full: skipped: unshare -rm is not permitted here (user "
				"namespaces off)\n");
		return;
	}
	snprintf(full, sizeof full, "%s/full", base);
	ck_assert_int_eq(mkdir(full, 0750), 0);
	snprintf(req, sizeof req, "%s/full.json", base);
	/* 20 s of 16-bit stereo WAV is 3.8 MB. */
	put(req, "{\"inputs\":{\"1\":\"bed.wav\"},\"duration\":20,\"loudness\":null,"
		 "\"output\":{\"file\":\"big.wav\"}}");
	snprintf(cmd, sizeof cmd,
		 "unshare -rm sh -c 'mount -t tmpfs -o size=256k wm-full \"$1\" || exit 99; "
		 "\"$2\" --allow-root --state-dir \"$3\" --media-dir \"$4\" --render-dir \"$1\" "
		 "--render \"$5\"; "
		 "rc=$?; echo left:; ls -A \"$1\"; exit $rc' sh '%s' '%s' '%s' '%s' '%s'",
		 full, wm_daemon_binary(), state, media, req);
	int rc = shell(cmd, out, sizeof out);
	ck_assert_msg(rc == 1, "exit %d: %s", rc, out);
	ck_assert_msg(strstr(out, "\"code\":\"io\"") && strstr(out, "No space left on device"),
		      "%s", out);
	const char *left = strstr(out, "left:\n");
	ck_assert_msg(left && left[6] == '\0', "files left on the full disk: %s", out);
}
END_TEST

/* VmRSS or VmHWM of a process, KiB; 0 once it is gone. */
static long proc_kib(pid_t pid, const char *field)
{
	long kib = wm_proc_status_kib(pid, field);
	return kib > 0 ? kib : 0;
}

/* 2 hours of 8 inputs. The plain build renders them at 48 kHz (about 50 s
 * here); the sanitizer build, whose own bookkeeping grows RSS and slows the
 * engine, at 8 kHz, and checks completion and length only. */
START_TEST(two_hours_of_8_inputs_in_flat_memory)
{
#ifdef WASHMIX_SANITIZE
	const uint32_t rate = 8000;
#else
	const uint32_t rate = 48000;
#endif
	const long seconds = 2 * 3600;
	char req[4096], json[2048], outp[4096], errp[4096], perr[256];
	size_t len = 0;

	len += (size_t)snprintf(json + len, sizeof json - len, "{\"inputs\":{");
	for (int i = 1; i <= 8; i++) {
		char name[32];
		snprintf(name, sizeof name, "long%d.wav", i);
		char path[4200];
		snprintf(path, sizeof path, "%s/%s", media, name);
		wm_t_write_sparse_wav(path, seconds, rate);
		len += (size_t)snprintf(json + len, sizeof json - len, "%s\"%d\":\"%s\"",
					i > 1 ? "," : "", i, name);
	}
	snprintf(json + len, sizeof json - len,
		 "},\"loudness\":null,\"output\":{\"file\":\"long.flac\"}}");
	snprintf(req, sizeof req, "%s/long.json", base);
	put(req, json);
	snprintf(outp, sizeof outp, "%s/long.out", base);
	snprintf(errp, sizeof errp, "%s/long.err", base);
	const char *argv[] = { wm_daemon_binary(), wm_t_root_flag(), "--state-dir", state,
			       "--media-dir", media,
			       "--render-dir", renders, "--render", req, NULL };
	long long t0 = wm_now_ms();
	struct wm_proc *p = wm_proc_spawn(argv, NULL, outp, errp, perr, sizeof perr);
	ck_assert_msg(p != NULL, "%s", perr);
	/* RSS once the render is under way (after 2 s), and its largest after. */
	long early = 0, most = 0, hwm = 0;
	int status = -1;
	while (wm_proc_wait(p, 100, &status) < 0) {
		long rss = proc_kib(p->pid, "VmRSS"), peak = proc_kib(p->pid, "VmHWM");
		hwm = peak > hwm ? peak : hwm;
		if (!early && wm_now_ms() - t0 >= 2000)
			early = rss;
		if (early && rss > most)
			most = rss;
	}
	wm_proc_release(p);
	char *text = wm_file_read(outp, NULL);
	json_t *r = json_loads(text ? text : "", 0, NULL);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0 && r, "%s", text);
	ck_assert_double_eq_tol(json_number_value(json_object_get(r, "duration")), seconds, 1e-6);
	fprintf(stderr, "2 h x 8 inputs at %u Hz: %.1f s, RSS %ld KiB after 2 s, at most %ld KiB, "
			"peak %ld KiB\n",
		rate, json_number_value(json_object_get(r, "seconds")), early, most, hwm);
	json_decref(r);
	free(text);
#ifndef WASHMIX_SANITIZE
	ck_assert_msg(early > 0, "the render ended within 2 s; nothing was sampled");
	ck_assert_msg(most - early < 2048, "RSS grew from %ld to %ld KiB", early, most);
	ck_assert_msg(hwm < 32 * 1024, "peak RSS %ld KiB, over 32 MiB", hwm);
#endif
}
END_TEST

static Suite *render_cli_suite(void)
{
	Suite *s = suite_create("render_cli");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, cli_local);
	tcase_add_test(tc, max_duration_configured);
	tcase_add_test(tc, disk_full);
	tcase_add_test(tc, two_hours_of_8_inputs_in_flat_memory);
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
