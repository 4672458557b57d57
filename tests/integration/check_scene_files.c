/* check_scene_files.c - scenes and the live state as files: a scene saved
 * on an 8-channel daemon recalled on a 4- and a 16-channel one (warnings,
 * extra channels ignored, missing ones left alone); bad input refused with
 * the right code and nothing changed (unknown scenes, path-like names,
 * hand-broken files naming file and field, rename onto an existing name,
 * wrong arguments, fades out of range); a full disk and a read-only folder
 * (a tmpfs of our own) answered with `io` while the old file stays intact,
 * no temp file is left, audio and the control socket go on, the save works
 * once space is free, and health says when the folder is read-only (also
 * for a daemon started on it);
 * the live state back after kill -9, and --fresh starting from defaults.
 *
 * One jackd; every test starts its own daemons (2 zones), each in a
 * directory of its own whose state folder is DIR/state. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/integration/scene_common.h"
#include "tests/support/audiocheck.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/jackd_fixture.h"
#include "tests/support/jackprobe.h"
#include "tests/support/pingprobe.h"
#include "tests/support/sockclient.h"
#include "tests/support/suite.h"

#define ZONES 2

static struct wm_jackd jackd;

static void up(void)
{
	wm_t_jackd_start(&jackd, wm_tmpdir());
}

static void down(void)
{
	wm_t_jackd_stop(&jackd);
}

static struct wm_client *connect_to(const struct wm_daemon *d)
{
	struct wm_client *c = wm_client_connect(d->sock, 2000);

	ck_assert_msg(c != NULL, "cannot connect to %s", d->sock);
	return c;
}

/* The error reply's message must contain every needle (NULL-terminated). */
static void message_has(json_t *r, const char *what, ...)
{
	const char *msg = wm_t_strval(json_object_get(json_object_get(r, "error"), "message"));
	va_list ap;

	va_start(ap, what);
	for (const char *n = va_arg(ap, const char *); n; n = va_arg(ap, const char *))
		ck_assert_msg(strstr(msg, n), "%s: the message should mention \"%s\": %s", what, n,
			      wm_t_json_str(r));
	va_end(ap);
}

/* --- topology --------------------------------------------------------------- */

START_TEST(test_a_scene_of_8_channels_on_4_and_on_16)
{
	struct wm_daemon d8, d4, d16;
	struct wm_client *c;
	struct sc_mix m8, want, got;
	json_t *r, *w;
	char *text, why[256];

	wm_t_daemon_start(&d8, wm_tmpdir(), 8, ZONES, NULL, NULL);
	c = connect_to(&d8);
	sc_mix_varied(&m8, 8, ZONES, 3);
	sc_mix_apply(c, &m8, 0);
	wm_t_ok(c, "scene save big");
	wm_client_close(c);
	wm_t_daemon_stop(&d8);
	text = wm_file_read(sc_state(&d8, "scenes/big.json"), NULL);
	ck_assert_msg(text != NULL, "no scenes/big.json after scene save big");

	/* 4 channels: channels 5..8 of the scene are ignored, with a warning */
	wm_t_daemon_start(&d4, wm_tmpdir(), 4, ZONES, NULL, NULL);
	sc_write_file(sc_state(&d4, "scenes/big.json"), text);
	c = connect_to(&d4);
	r = wm_t_assert_ok(wm_t_request(c, "scene recall big"), "recall on 4 channels");
	w = json_object_get(r, "warnings");
	ck_assert_msg(json_is_array(w) && sc_strings_mention(w, "ignored"), "an 8-channel "
		      "scene on 4 channels must warn that channels 5..8 are ignored: %s",
		      wm_t_json_str(r));
	fprintf(stderr, "scene: 8 on 4 channels warns %s\n", wm_t_json_str(w));
	json_decref(r);
	want = m8;
	want.channels = 4;
	sc_mix_assert(c, &want, "the 8-channel scene recalled on 4 channels");
	json_decref(wm_t_err(c, "unknown_path", "get ch/5/gain"));
	wm_client_close(c);
	wm_t_daemon_alive(&d4, "after recalling an 8-channel scene on 4 channels");
	wm_t_daemon_stop(&d4);

	/* 16 channels: 9..16 keep what they have, with a warning */
	wm_t_daemon_start(&d16, wm_tmpdir(), 16, ZONES, NULL, NULL);
	c = connect_to(&d16);
	sc_mix_varied(&want, 16, ZONES, 11);
	sc_mix_apply(c, &want, 0);
	sc_write_file(sc_state(&d16, "scenes/big.json"), text);
	r = wm_t_assert_ok(wm_t_request(c, "scene recall big"), "recall on 16 channels");
	w = json_object_get(r, "warnings");
	ck_assert_msg(json_is_array(w) && sc_strings_mention(w, "left"), "an 8-channel scene "
		      "on 16 channels must warn that channels 9..16 are left as they are: %s",
		      wm_t_json_str(r));
	fprintf(stderr, "scene: 8 on 16 channels warns %s\n", wm_t_json_str(w));
	json_decref(r);
	for (int i = 0; i < 8; i++)
		want.ch[i] = m8.ch[i];
	for (int z = 0; z < ZONES; z++)
		want.zone[z] = m8.zone[z];
	got.channels = 16;
	got.zones = ZONES;
	sc_mix_read(c, &got);
	ck_assert_msg(sc_mix_equal(&got, &want, 16, why, sizeof why),
		      "8-channel scene on 16 channels (1..8 from the scene, 9..16 as they were): %s",
		      why);
	wm_client_close(c);
	wm_t_daemon_stop(&d16);
	free(text);
}
END_TEST

/* --- bad input ---------------------------------------------------------------- */

static const char *const BAD_NAMES[] = {
	"../x", "a/b", ".x", "..", "\"a b\"", "/etc/passwd",
	"x12345678901234567890123456789012345678901234567890123456789012345",  /* 65 */
};

struct broken {
	const char *name, *text, *field;        /* field: NULL for "not JSON" */
};

static const struct broken BROKEN[] = {
	{ "trunc", NULL, NULL },                /* good1.json cut in half */
	{ "type", "{\"format\":\"washmix-scene\",\"version\":1,\"name\":\"type\","
		  "\"channels\":[{\"id\":1,\"gain\":\"loud\"}]}", "channels[0].gain" },
	{ "range", "{\"format\":\"washmix-scene\",\"version\":1,\"name\":\"range\","
		   "\"channels\":[{\"id\":1,\"gain\":40}]}", "channels[0].gain" },
	{ "format", "{\"format\":\"something else\",\"version\":1,\"name\":\"format\","
		    "\"channels\":[{\"id\":1,\"gain\":-7}]}", "format" },
	{ "partbad", "{\"format\":\"washmix-scene\",\"version\":1,\"name\":\"partbad\","
		     "\"channels\":[{\"id\":1,\"gain\":-7,\"name\":\"half\"},"
		     "{\"id\":2,\"gain\":40}],\"zones\":[{\"id\":1,\"gain\":-9}]}",
	  "channels[1].gain" },
	{ "pantype", "{\"format\":\"washmix-scene\",\"version\":1,\"name\":\"pantype\","
		     "\"channels\":[{\"id\":1,\"gain\":-7,\"pan\":3}]}", "channels[0].pan" },
	{ "mutetype", "{\"format\":\"washmix-scene\",\"version\":1,\"name\":\"mutetype\","
		      "\"channels\":[{\"id\":1,\"mute\":\"maybe\"}]}", "channels[0].mute" },
};

START_TEST(test_bad_input_is_refused_and_changes_nothing)
{
	static const char *const wrong[] = { "scene", "scene save", "scene save a b",
		"scene rename good2", "scene recall good2 5 6", "scene show" };
	struct wm_daemon d;
	struct wm_client *c;
	struct sc_mix live, now;
	char *good1, *good2, *t, path[PATH_MAX], why[256];
	json_t *r, *list;
	struct stat st;
	size_t len;

	wm_t_daemon_start(&d, wm_tmpdir(), 8, ZONES, NULL, NULL);
	c = connect_to(&d);
	wm_t_ok(c, "set ch/1/gain -1 0");
	wm_t_ok(c, "scene save good1");
	wm_t_ok(c, "set ch/1/gain -2 0");
	wm_t_ok(c, "scene save good2");
	sc_mix_varied(&live, 8, ZONES, 5);
	sc_mix_apply(c, &live, 0);

	r = wm_t_err(c, "not_found", "scene recall nosuch");
	message_has(r, "recall of an unknown scene lists the existing ones", "good1", "good2", NULL);
	json_decref(r);
	json_decref(wm_t_err(c, "not_found", "scene show nosuch"));
	json_decref(wm_t_err(c, "not_found", "scene delete nosuch"));
	json_decref(wm_t_err(c, "not_found", "scene rename nosuch other"));

	for (size_t i = 0; i < sizeof BAD_NAMES / sizeof BAD_NAMES[0]; i++) {
		const char *n = BAD_NAMES[i];

		json_decref(wm_t_err(c, "bad_name", "scene save %s", n));
		json_decref(wm_t_err(c, "bad_name", "scene recall %s", n));
		json_decref(wm_t_err(c, "bad_name", "scene show %s", n));
		json_decref(wm_t_err(c, "bad_name", "scene delete %s", n));
		json_decref(wm_t_err(c, "bad_name", "scene rename good1 %s", n));
		json_decref(wm_t_err(c, "bad_name", "scene rename %s good1", n));
	}
	ck_assert_msg(stat(sc_state(&d, "x.json"), &st) < 0 && stat(sc_state(&d, "scenes/.x.json"),
		      &st) < 0 && stat(sc_state(&d, "scenes/a"), &st) < 0,
		      "a refused name left a file behind");
	wm_t_ok(c, "scene save %s", "x123456789012345678901234567890123456789012345678901234567890123");
	wm_t_ok(c, "scene delete %s", "x123456789012345678901234567890123456789012345678901234567890123");
	for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++)
		json_decref(wm_t_err(c, "wrong_args", "%s", wrong[i]));

	/* hand-broken files: refused whole, naming file and field */
	good1 = wm_file_read(sc_state(&d, "scenes/good1.json"), &len);
	ck_assert_ptr_nonnull(good1);
	good1[len / 2] = 0;
	sc_write_file(sc_state(&d, "scenes/trunc.json"), good1);
	for (size_t i = 0; i < sizeof BROKEN / sizeof BROKEN[0]; i++) {
		const struct broken *b = &BROKEN[i];

		snprintf(path, sizeof path, "scenes/%s.json", b->name);
		if (b->text)
			sc_write_file(sc_state(&d, path), b->text);
		snprintf(path, sizeof path, "%s.json", b->name);
		r = wm_t_err(c, "bad_file", "scene recall %s 0", b->name);
		message_has(r, "a broken scene file", path, b->field, NULL);
		json_decref(r);
		now = live;
		sc_mix_read(c, &now);
		ck_assert_msg(sc_mix_equal(&now, &live, 8, why, sizeof why), "scene recall %s was "
			      "refused but changed the mix: %s", b->name, why);
	}
	free(good1);

	/* other scenes still recall fine; a missing key leaves its parameter */
	r = wm_t_assert_ok(wm_t_request(c, "scene recall good2 0"), "recall good2 after refusals");
	json_decref(r);
	r = wm_t_assert_ok(wm_t_request(c, "get ch/1/gain"), "get");
	ck_assert_msg(wm_t_value_num(r) == -2, "after recall good2: %s", wm_t_json_str(r));
	json_decref(r);
	sc_mix_apply(c, &live, 0);
	sc_write_file(sc_state(&d, "scenes/partial.json"),
		      "{ \"format\": \"washmix-scene\", \"version\": 1, \"name\": \"partial\",\n"
		      "  \"channels\": [ { \"id\": 1, \"gain\": -9, \"sends\": { \"2\": \"-inf\" } } ] }\n");
	json_decref(wm_t_assert_ok(wm_t_request(c, "scene recall partial"), "recall partial"));
	now = live;
	live.ch[0].gain = -9;
	live.ch[0].send[1] = -INFINITY;
	sc_mix_read(c, &now);
	ck_assert_msg(sc_mix_equal(&now, &live, 8, why, sizeof why), "a scene with only "
		      "channels[0].gain and .sends.2 changed something else: %s", why);

	/* rename onto an existing name; rename; delete then recall */
	good1 = wm_file_read(sc_state(&d, "scenes/good1.json"), NULL);
	good2 = wm_file_read(sc_state(&d, "scenes/good2.json"), NULL);
	json_decref(wm_t_err(c, "bad_name", "scene rename good1 good2"));
	t = wm_file_read(sc_state(&d, "scenes/good2.json"), NULL);
	ck_assert_msg(t && strcmp(t, good2) == 0, "rename onto an existing name changed it");
	free(t);
	r = wm_t_assert_ok(wm_t_request(c, "scene rename good1 good3"), "rename good1 good3");
	ck_assert_msg(strcmp(wm_t_strval(json_object_get(r, "scene")), "good3") == 0 &&
		      strcmp(wm_t_strval(json_object_get(r, "from")), "good1") == 0, "%s",
		      wm_t_json_str(r));
	json_decref(r);
	t = wm_file_read(sc_state(&d, "scenes/good3.json"), NULL);
	ck_assert_msg(t && stat(sc_state(&d, "scenes/good1.json"), &st) < 0, "after rename "
		      "good1 good3: good3.json %s, good1.json %s", t ? "exists" : "missing",
		      stat(sc_state(&d, "scenes/good1.json"), &st) == 0 ? "still there" : "gone");
	free(t);
	list = sc_scene_list(c);
	for (size_t i = 1; i < json_array_size(list); i++)
		ck_assert_msg(strcmp(wm_t_strval(json_array_get(list, i - 1)),
				     wm_t_strval(json_array_get(list, i))) < 0,
			      "scene list is not sorted: %s", wm_t_json_str(list));
	ck_assert_msg(sc_strings_mention(list, "good3") && !sc_strings_mention(list, "good1"),
		      "scene list after rename good1 good3: %s", wm_t_json_str(list));
	json_decref(list);
	wm_t_ok(c, "scene delete good3");
	json_decref(wm_t_err(c, "not_found", "scene recall good3"));
	ck_assert(stat(sc_state(&d, "scenes/good3.json"), &st) < 0);

	free(good1);
	free(good2);
	/* an unknown action: "a verb's arguments wrong" (docs/osc.md) */
	json_decref(wm_t_err(c, "wrong_args", "scene frob good2"));
	wm_client_close(c);
	wm_t_daemon_alive(&d, "after the bad input");
	wm_t_daemon_stop(&d);
}
END_TEST

START_TEST(test_fade_ms_is_0_to_600000)
{
	struct wm_daemon d;
	struct wm_client *c;
	json_t *r;

	wm_t_daemon_start(&d, wm_tmpdir(), 2, ZONES, NULL, NULL);
	c = connect_to(&d);
	wm_t_ok(c, "scene save s");
	r = wm_t_request(c, "scene recall s 600001");
	ck_assert_msg(json_is_false(json_object_get(r, "ok")), "fade 600001: %s", wm_t_json_str(r));
	json_decref(r);
	r = wm_t_request(c, "scene recall s -1");
	ck_assert_msg(json_is_false(json_object_get(r, "ok")), "fade -1: %s", wm_t_json_str(r));
	json_decref(r);
	json_decref(wm_t_assert_ok(wm_t_request(c, "scene recall s 600000"), "fade 600000"));
	json_decref(wm_t_assert_ok(wm_t_request(c, "scene recall s 0"), "fade 0"));
	wm_client_close(c);
	wm_t_daemon_stop(&d);
}
END_TEST

/* --- a full disk, a read-only folder ----------------------------------------- */

static char mnt[256];

static void unmount_at_exit(void)
{
	if (mnt[0])
		umount2(mnt, MNT_DETACH);
	mnt[0] = 0;
}

/* Fill the file system under dir; returns the filler's path. */
static void fill(const char *path)
{
	static char block[4096];
	FILE *f = fopen(path, "w");
	size_t n;

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	setvbuf(f, NULL, _IONBF, 0);
	do
		n = fwrite(block, 1, sizeof block, f);
	while (n == sizeof block);
	while (fwrite(block, 1, 1, f) == 1)
		;
	fclose(f);
}

/* Nothing but NAME.json files in scenes/: a failed save left no temp file. */
static void no_temp_files(const char *state, const char *after)
{
	char path[PATH_MAX];
	DIR *dir;
	struct dirent *e;

	snprintf(path, sizeof path, "%s/scenes", state);
	dir = opendir(path);
	ck_assert_msg(dir != NULL, "%s: %s", path, strerror(errno));
	while ((e = readdir(dir))) {
		size_t len = strlen(e->d_name);

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		ck_assert_msg(e->d_name[0] != '.' && len > 5 && strcmp(e->d_name + len - 5,
								       ".json") == 0,
			      "%s: %s/%s was left behind", after, path, e->d_name);
	}
	closedir(dir);
}

/* health: subsystems.state.state becomes want within 2 s (the live state
 * is written at most 1 s after a change), and the status is then not ok. */
static void state_health_is(const struct wm_daemon *d, const char *want, const char *when)
{
	long long t0 = wm_now_ms();
	const char *got, *status;
	json_t *r;

	for (;;) {
		r = wm_t_assert_ok(wm_t_request1(d->sock, "health"), "health");
		got = wm_t_strval(json_object_get(json_object_get(json_object_get(
			r, "subsystems"), "state"), "state"));
		status = wm_t_strval(json_object_get(r, "status"));
		if (strcmp(got, want) == 0 || wm_now_ms() - t0 > 2000)
			break;
		json_decref(r);
		wm_sleep_ms(100);
	}

	/* ok says nothing of the status: an xrun under load may degrade it */
	ck_assert_msg(strcmp(got, want) == 0 && (strcmp(want, "ok") == 0 ||
						 strcmp(status, "ok") != 0),
		      "%s: health should say state %s%s: %s", when, want,
		      strcmp(want, "ok") == 0 ? "" : " and the status not ok", wm_t_json_str(r));
	json_decref(r);
}

/* ch1_L -> zone1_L heard at gain_db while the fault lasts (DC 0.5 in). */
static void audio_unaffected(const struct wm_daemon *d, double gain_db, const char *when)
{
	struct wm_src *src = wm_t_src_open(NULL, 1);
	struct wm_sink *sink = wm_t_sink_open(NULL, 1, 1.0);

	wm_t_connect(src, wm_src_port(src, 1), wm_daemon_port(d, "ch1_L"));
	wm_t_connect(src, wm_daemon_port(d, "zone1_L"), wm_sink_port(sink, 1));
	wm_t_set(src, 1, wm_sig_dc(0.5f));
	wm_sleep_ms(50);
	wm_t_capture(sink, 200);
	wm_t_expect_const(sink, 1, wm_sink_first(sink), wm_sink_end(sink),
			  0.5 * pow(10.0, gain_db / 20.0), 1e-7, 1e-6, when);
	wm_sink_close(sink);
	wm_src_close(src);
}

START_TEST(test_disk_full_and_read_only_folder_are_io_errors_and_keep_the_old_file)
{
	const char *extra[] = { "--state-dir", NULL, NULL };
	char state[300], file[PATH_MAX + 32], filler[PATH_MAX + 16],
	     fresh1[PATH_MAX + 32], *old, *now;
	struct wm_daemon d, d2;
	struct wm_client *c, *c2;
	struct wm_pingprobe *probe;
	struct stat st;
	json_t *r;

	ck_assert(strlen(wm_tmpdir()) < 200);
	snprintf(mnt, sizeof mnt, "%s/tiny", wm_tmpdir());
	mkdir(mnt, 0755);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=256k,mode=0755") != 0) {
		fprintf(stderr, "NOTE: scene disk-full/read-only case NOT RUN: cannot mount a "
			"tmpfs at %s: %s\n", mnt, strerror(errno));
		mnt[0] = 0;
		return;
	}
	atexit(unmount_at_exit);
	snprintf(state, sizeof state, "%s/state", mnt);
	snprintf(file, sizeof file, "%s/scenes/keep.json", state);
	snprintf(filler, sizeof filler, "%s/filler", mnt);
	extra[1] = state;
	wm_t_daemon_start(&d, wm_tmpdir(), 8, ZONES, NULL, extra);
	c = connect_to(&d);
	wm_t_ok(c, "set ch/1/gain -5 0");
	wm_t_ok(c, "scene save keep");
	old = wm_file_read(file, NULL);
	ck_assert_msg(old != NULL, "--state-dir %s: no %s after scene save keep", state, file);
	wm_t_ok(c, "set ch/1/gain -9 0");

	probe = wm_t_pingprobe_start(d.sock);
	fill(filler);
	r = wm_t_err(c, "io", "scene save keep");
	message_has(r, "scene save on a full disk", "keep.json", "No space left on device", NULL);
	fprintf(stderr, "scene: save on a full disk: %s\n", wm_t_json_str(r));
	json_decref(r);
	now = wm_file_read(file, NULL);
	ck_assert_msg(now && strcmp(now, old) == 0, "a failed save changed %s:\n%s", file, now);
	free(now);
	r = wm_t_err(c, "io", "scene save fresh1");
	message_has(r, "a new scene on a full disk", "fresh1.json", "No space left on device", NULL);
	json_decref(r);
	snprintf(fresh1, sizeof fresh1, "%s/scenes/fresh1.json", state);
	ck_assert_msg(stat(fresh1, &st) < 0, "a failed save of a new scene left %s", fresh1);
	wm_t_daemon_alive(&d, "after saves on a full disk");
	no_temp_files(state, "failed saves on a full disk");
	wm_t_ok(c, "set ch/2/gain -3 0"); /* a live-state write that fails */
	state_health_is(&d, "error", "the live state written to a full disk");
	audio_unaffected(&d, -9, "ch1_L -> zone1_L at -9 dB on a full disk");
	json_decref(wm_t_assert_ok(wm_t_request(c, "scene recall keep 0"), "recall on a full disk"));
	wm_t_pingprobe_check(probe, "saves on a full disk");

	unlink(filler);
	wm_t_ok(c, "set ch/1/gain -9 0");
	json_decref(wm_t_assert_ok(wm_t_request(c, "scene save keep"), "save once space is free"));
	now = wm_file_read(file, NULL);
	ck_assert_msg(now && strcmp(now, old) != 0 && strstr(now, "-9"), "the save after space "
		      "was freed did not write the new mix:\n%s", now ? now : "(missing)");
	free(old);
	old = now;
	state_health_is(&d, "ok", "once space is free");
	ck_assert_msg(mount(NULL, mnt, NULL, MS_REMOUNT | MS_RDONLY, "size=256k") == 0,
		      "remount %s read-only: %s", mnt, strerror(errno));
	wm_t_ok(c, "set ch/1/gain -9 0");
	r = wm_t_err(c, "io", "scene save keep");
	message_has(r, "scene save in a read-only folder", "keep.json", "Read-only file system",
		    NULL);
	fprintf(stderr, "scene: save in a read-only folder: %s\n", wm_t_json_str(r));
	json_decref(r);
	json_decref(wm_t_err(c, "io", "scene delete keep"));
	json_decref(wm_t_err(c, "io", "scene rename keep other"));
	now = wm_file_read(file, NULL);
	ck_assert_msg(now && strcmp(now, old) == 0, "a failed save changed %s:\n%s", file, now);
	free(now);
	json_decref(wm_t_assert_ok(wm_t_request(c, "scene recall keep 0"), "recall, read-only"));
	wm_t_daemon_alive(&d, "after saves in a read-only folder");
	state_health_is(&d, "read_only", "state folder remounted read-only");
	audio_unaffected(&d, -9, "ch1_L -> zone1_L at -9 dB, state folder read-only");

	/* a daemon started on the read-only folder runs, with its scenes */
	wm_t_daemon_start(&d2, wm_tmpdir(), 8, ZONES, NULL, extra);
	state_health_is(&d2, "read_only", "a daemon started on a read-only state folder");
	c2 = connect_to(&d2);
	json_decref(wm_t_assert_ok(wm_t_request(c2, "scene recall keep 0"), "recall, started "
				   "read-only"));
	r = wm_t_err(c2, "io", "scene save other");
	message_has(r, "scene save, started read-only", "other.json", "Read-only file system",
		    NULL);
	json_decref(r);
	wm_client_close(c2);
	wm_t_daemon_stop(&d2);

	ck_assert_msg(mount(NULL, mnt, NULL, MS_REMOUNT, "size=256k") == 0,
		      "remount %s read-write: %s", mnt, strerror(errno));
	wm_client_close(c);
	wm_t_daemon_stop(&d);
	free(old);
	ck_assert_msg(umount(mnt) == 0, "umount %s: %s", mnt, strerror(errno));
	mnt[0] = 0;
}
END_TEST

/* --- live state ------------------------------------------------------------- */

START_TEST(test_live_state_survives_kill_9_and_fresh_starts_from_defaults)
{
	const char *fresh[] = { "--fresh", NULL };
	struct wm_daemon d;
	struct wm_client *c;
	struct sc_mix m, def;
	char dir[PATH_MAX], *bad;

	snprintf(dir, sizeof dir, "%s/live", wm_tmpdir());
	wm_t_daemon_start_in(&d, dir, 8, ZONES, NULL, NULL);
	c = connect_to(&d);
	sc_mix_varied(&m, 8, ZONES, 9);
	m.ch[3].solo = true;
	sc_mix_apply(c, &m, 0);
	wm_client_close(c);
	wm_sleep_ms(1500);
	bad = sc_scene_problem(sc_state(&d, "live.json"), 8, ZONES, false);
	ck_assert_msg(!bad, "1.5 s after the last change: %s", bad);
	wm_t_daemon_kill(&d);

	wm_t_daemon_start_in(&d, dir, 8, ZONES, NULL, NULL);
	c = connect_to(&d);
	sc_mix_assert(c, &m, "restarted after kill -9 (changes 1.5 s old)");
	wm_client_close(c);
	wm_t_daemon_stop(&d);

	wm_t_daemon_start_in(&d, dir, 8, ZONES, NULL, fresh);
	c = connect_to(&d);
	sc_mix_default(&def, 8, ZONES);
	sc_mix_assert(c, &def, "started with --fresh");
	wm_t_ok(c, "set ch/2/gain -1 0");
	wm_client_close(c);
	wm_sleep_ms(1500);
	wm_t_daemon_kill(&d);

	wm_t_daemon_start_in(&d, dir, 8, ZONES, NULL, NULL);
	c = connect_to(&d);
	def.ch[1].gain = -1;
	sc_mix_assert(c, &def, "--fresh, one change, kill -9, restart: live.json was overwritten");
	wm_client_close(c);
	wm_t_daemon_stop(&d);
}
END_TEST

/* A live.json that cannot be used: the daemon starts from defaults, says so,
 * and keeps the broken file aside instead of overwriting it later. */
START_TEST(test_broken_live_state_is_kept_aside)
{
	static const char broken[] = "{\"format\":\"washmix-scene\",\"version\":1,\"channels\":[{\"id\":1,";
	struct wm_daemon d;
	struct wm_client *c;
	struct sc_mix def;
	char dir[PATH_MAX], path[PATH_MAX + 32];

	snprintf(dir, sizeof dir, "%s/brokenlive", wm_tmpdir());
	snprintf(path, sizeof path, "%s/state", dir);
	ck_assert(mkdir(dir, 0750) == 0 && mkdir(path, 0750) == 0);
	snprintf(path, sizeof path, "%s/state/live.json", dir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(broken, f);
	fclose(f);

	wm_t_daemon_start_in(&d, dir, 8, ZONES, NULL, NULL);
	c = connect_to(&d);
	sc_mix_default(&def, 8, ZONES);
	sc_mix_assert(c, &def, "started on a truncated live.json");
	wm_t_ok(c, "set ch/1/gain -3 0");
	wm_client_close(c);
	wm_sleep_ms(1500);
	char *log = wm_daemon_log_tail(&d);
	ck_assert_msg(strstr(log, "event=state.restore") && strstr(log, "live.json.broken-"),
		      "the log must say live.json was unusable and where it was kept:\n%s", log);
	free(log);
	wm_t_daemon_stop(&d);

	snprintf(path, sizeof path, "%s/state", dir);
	DIR *dp = opendir(path);
	struct dirent *e;
	bool kept = false;
	ck_assert_ptr_nonnull(dp);
	while ((e = readdir(dp)) != NULL) {
		if (strncmp(e->d_name, "live.json.broken-", 17) != 0)
			continue;
		char kept_path[PATH_MAX + 300];
		snprintf(kept_path, sizeof kept_path, "%s/%s", path, e->d_name);
		char *text = wm_file_read(kept_path, NULL);
		kept = text && strcmp(text, broken) == 0;
		free(text);
	}
	closedir(dp);
	ck_assert_msg(kept, "the broken live.json must be kept, byte for byte, in %s", path);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("scene_files");
	TCase *tc = tcase_create("files");

	tcase_add_unchecked_fixture(tc, up, down);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_a_scene_of_8_channels_on_4_and_on_16);
	tcase_add_test(tc, test_bad_input_is_refused_and_changes_nothing);
	tcase_add_test(tc, test_fade_ms_is_0_to_600000);
	tcase_add_test(tc, test_disk_full_and_read_only_folder_are_io_errors_and_keep_the_old_file);
	tcase_add_test(tc, test_live_state_survives_kill_9_and_fresh_starts_from_defaults);
	tcase_add_test(tc, test_broken_live_state_is_kept_aside);
	suite_add_tcase(s, tc);
	return wm_t_run_suite(s);
}
