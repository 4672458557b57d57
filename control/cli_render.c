/* cli_render.c - `washmix render` (cli_render.h): flags to a render
 * request, the request sent, the job waited for. The CLI's main thread. */
#include "control/cli_render.h"
#include "control/cli_local.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXIT_FAILED 1
#define EXIT_NO_ANSWER 2
#define EXIT_USAGE 64
/* --wait polls at 1 ms first, doubling to 100 ms: a cache hit is done in
 * a few milliseconds, a long render needs no tight loop. */
#define POLL_FIRST_MS 1
#define POLL_MS 100

static void usage(FILE *f)
{
	fprintf(f, "usage: washmix render [--scene NAME] [--in N=FILE[@OFFSET]]... --out FILE\n"
		   "         [--format wav|wav24|flac|ogg] [--rate HZ] [--lufs X] [--true-peak X]\n"
		   "         [--no-normalise] [--duration S] [--wait | --local [-- WASHMIXD_OPTIONS]]\n"
		   "       washmix render --json '{...}' [--wait | --local [-- WASHMIXD_OPTIONS]]\n"
		   "FILE paths are relative to the daemon's media folder (inputs) and render\n"
		   "folder (output). --wait polls the job and prints its outcome. --local renders\n"
		   "here, with no daemon and no JACK server: it runs washmixd --render with the\n"
		   "options after -- (such as --config FILE or --media-dir DIR).\n");
}

static int bad(const char *what, const char *value)
{
	fprintf(stderr, "washmix render: %s; got \"%s\"\n", what, value);
	return -1;
}

static int number(const char *text, const char *what, double *out)
{
	char *end;
	double v = strtod(text, &end);
	if (end == text || *end || !isfinite(v))
		return bad(what, text);
	*out = v;
	return 0;
}

/* "3=voice/welcome.wav@2.5" -> inputs."3" = {"file":..., "offset":2.5};
 * an '@' not followed by a number is part of the file name. */
static int add_input(json_t *inputs, const char *spec)
{
	const char *eq = strchr(spec, '=');
	char ch[8], file[1024];
	if (!eq || eq == spec || (size_t)(eq - spec) >= sizeof ch || !eq[1])
		return bad("--in wants N=FILE or N=FILE@OFFSET", spec);
	snprintf(ch, sizeof ch, "%.*s", (int)(eq - spec), spec);
	snprintf(file, sizeof file, "%s", eq + 1);
	char *at = strrchr(file, '@'), *end = NULL;
	double offset = at ? strtod(at + 1, &end) : 0;
	if (!at || end == at + 1 || *end || !isfinite(offset)) {
		json_object_set_new(inputs, ch, json_string(file));
		return 0;
	}
	*at = '\0';
	json_object_set_new(inputs, ch, json_pack("{s:s, s:f}", "file", file, "offset", offset));
	return 0;
}

struct opts {
	json_t *req, *inputs, *output;
	const char *raw_json;
	bool wait, local, no_normalise, lufs_set, peak_set;
	double lufs, peak;
};

static int take(struct opts *o, int opt, const char *arg)
{
	double v;
	switch (opt) {
	case 's':
		json_object_set_new(o->req, "scene", json_string(arg));
		return 0;
	case 'i':
		return add_input(o->inputs, arg);
	case 'o':
		json_object_set_new(o->output, "file", json_string(arg));
		return 0;
	case 'f':
		json_object_set_new(o->output, "format", json_string(arg));
		return 0;
	case 'r':
		if (number(arg, "--rate wants Hz", &v) < 0)
			return -1;
		json_object_set_new(o->output, "rate", json_integer((json_int_t)v));
		return 0;
	case 'l':
		o->lufs_set = true;
		return number(arg, "--lufs wants a loudness in LUFS", &o->lufs);
	case 'p':
		o->peak_set = true;
		return number(arg, "--true-peak wants dBTP", &o->peak);
	case 'n':
		o->no_normalise = true;
		return 0;
	case 'd':
		if (number(arg, "--duration wants seconds", &v) < 0)
			return -1;
		json_object_set_new(o->req, "duration", json_real(v));
		return 0;
	case 'w':
		o->wait = true;
		return 0;
	case 'j':
		o->raw_json = arg;
		return 0;
	case 'L':
		o->local = true;
		return 0;
	}
	usage(stderr);
	return -1;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option options[] = {
		{ "scene", required_argument, NULL, 's' }, { "in", required_argument, NULL, 'i' },
		{ "out", required_argument, NULL, 'o' }, { "format", required_argument, NULL, 'f' },
		{ "rate", required_argument, NULL, 'r' }, { "lufs", required_argument, NULL, 'l' },
		{ "true-peak", required_argument, NULL, 'p' },
		{ "no-normalise", no_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' }, { "wait", no_argument, NULL, 'w' },
		{ "json", required_argument, NULL, 'j' }, { "local", no_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1)
		if (take(o, opt, optarg) < 0)
			return -1;
	if (optind < argc)
		return bad("unexpected argument (see washmix render --help)", argv[optind]);
	if (!o->raw_json && !json_object_get(o->output, "file"))
		return usage(stderr), -1;
	json_object_set(o->req, "inputs", o->inputs);
	json_object_set(o->req, "output", o->output);
	if (o->no_normalise)
		json_object_set_new(o->req, "loudness", json_null());
	else if (o->lufs_set || o->peak_set)
		json_object_set_new(o->req, "loudness",
				    o->peak_set && o->lufs_set
					    ? json_pack("{s:f, s:f}", "target", o->lufs, "true_peak",
							o->peak)
				    : o->lufs_set ? json_pack("{s:f}", "target", o->lufs)
						  : json_pack("{s:f}", "true_peak", o->peak));
	return 0;
}

static void summary(const json_t *job)
{
	const char *state = json_string_value(json_object_get(job, "state"));
	const char *out = json_string_value(json_object_get(job, "output"));
	if (strcmp(state, "done") != 0) {
		const json_t *e = json_object_get(job, "error");
		fprintf(stderr, "%s %s: %s: %s\n", state, out,
			json_string_value(json_object_get(e, "code")),
			json_string_value(json_object_get(e, "message")));
		return;
	}
	const json_t *l = json_object_get(job, "loudness"), *tp = json_object_get(job, "true_peak");
	const char *note = json_string_value(json_object_get(job, "note"));
	printf("done %s: ", out);
	if (json_is_number(l))
		printf("%.1f LUFS, %.1f dBTP", json_number_value(l), json_number_value(tp));
	else
		printf("not normalised");
	if (json_is_true(json_object_get(job, "cached")))
		printf(", cached\n");
	else
		printf(", rendered in %.2f s\n",
		       (double)json_integer_value(json_object_get(json_object_get(job, "timings"),
								   "run_ms")) / 1000.0);
	if (note && *note)
		printf("  note: %s\n", note);
}

static bool error_reply(json_t *r)
{
	if (json_is_true(json_object_get(r, "ok")))
		return false;
	const json_t *e = json_object_get(r, "error");
	fprintf(stderr, "washmix: %s: %s\n", json_string_value(json_object_get(e, "code")),
		json_string_value(json_object_get(e, "message")));
	return true;
}

static int wait_job(long long id, bool raw, wm_cli_request_fn request, void *arg)
{
	char line[64];
	long poll_ms = POLL_FIRST_MS;
	snprintf(line, sizeof line, "job %lld", id);
	for (;;) {
		json_t *r = request(arg, line);
		if (!r)
			return EXIT_NO_ANSWER;
		if (error_reply(r))
			return json_decref(r), EXIT_FAILED;
		const json_t *job = json_object_get(r, "job");
		const char *state = json_string_value(json_object_get(job, "state"));
		if (strcmp(state, "queued") != 0 && strcmp(state, "running") != 0) {
			int rc = strcmp(state, "done") == 0 ? 0 : EXIT_FAILED;
			if (raw) {
				char *s = json_dumps(r, JSON_COMPACT);
				puts(s ? s : "");
				free(s);
			} else {
				summary(job);
			}
			json_decref(r);
			return rc;
		}
		json_decref(r);
		nanosleep(&(struct timespec){ .tv_nsec = poll_ms * 1000000L }, NULL);
		poll_ms = poll_ms * 2 > POLL_MS ? POLL_MS : poll_ms * 2;
	}
}

static int send_render(struct opts *o, bool raw, wm_cli_request_fn request, void *arg)
{
	char *json = o->raw_json ? strdup(o->raw_json) : json_dumps(o->req, JSON_COMPACT);
	size_t len = json ? strlen(json) + 8 : 0;
	char *line = json ? malloc(len) : NULL;
	if (!line) {
		free(json);
		fprintf(stderr, "washmix: out of memory\n");
		return EXIT_FAILED;
	}
	snprintf(line, len, "render %s", json);
	free(json);
	json_t *r = request(arg, line);
	free(line);
	if (!r)
		return EXIT_NO_ANSWER;
	if (error_reply(r))
		return json_decref(r), EXIT_FAILED;
	long long id = json_integer_value(json_object_get(r, "job"));
	if (raw && !o->wait) {
		char *s = json_dumps(r, JSON_COMPACT);
		puts(s ? s : "");
		free(s);
	} else if (!o->wait) {
		printf("job %lld queued\n", id);
	}
	json_decref(r);
	return o->wait ? wait_job(id, raw, request, arg) : 0;
}

/* washmixd --render's answer as the job `job ID` would report, for summary. */
static json_t *local_job(const json_t *answer, const char *out_file)
{
	bool ok = json_is_true(json_object_get(answer, "ok"));
	json_t *job = json_pack("{s:s, s:s, s:b}", "state", ok ? "done" : "failed", "output",
				out_file ? out_file : "", "cached", 0);
	const char *copy[] = { "loudness", "true_peak", "note", "error" };
	for (size_t i = 0; i < sizeof copy / sizeof copy[0]; i++)
		if (json_object_get(answer, copy[i]))
			json_object_set(job, copy[i], json_object_get(answer, copy[i]));
	double s = json_number_value(json_object_get(answer, "seconds"));
	json_object_set_new(job, "timings", json_pack("{s:I}", "run_ms", (json_int_t)(s * 1000)));
	return job;
}

static int render_local(struct opts *o, bool raw, char *const extra[], int nextra)
{
	char *json = o->raw_json ? strdup(o->raw_json) : json_dumps(o->req, JSON_COMPACT);
	if (!json) {
		fprintf(stderr, "washmix: out of memory\n");
		return EXIT_FAILED;
	}
	json_t *answer = wm_cli_local_render(json, extra, nextra);
	free(json);
	if (!answer)
		return EXIT_NO_ANSWER;
	int rc = json_is_true(json_object_get(answer, "ok")) ? 0 : EXIT_FAILED;
	if (raw) {
		char *s = json_dumps(answer, JSON_COMPACT);
		puts(s ? s : "");
		free(s);
	} else {
		const char *out = json_string_value(json_object_get(answer, "output"));
		if (!out)
			out = json_string_value(json_object_get(o->output, "file"));
		json_t *job = local_job(answer, out);
		summary(job);
		json_decref(job);
	}
	json_decref(answer);
	return rc;
}

int wm_cli_render(int argc, char **argv, bool raw, wm_cli_request_fn request, void *arg)
{
	/* With --local, what follows "--" is for washmixd. */
	int ours = argc;
	for (int i = 1; i < argc && ours == argc; i++)
		if (!strcmp(argv[i], "--"))
			ours = i;
	for (int i = 1; i < ours; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return usage(stdout), 0;
	struct opts o = { .req = json_object(), .inputs = json_object(), .output = json_object() };
	int rc = EXIT_USAGE;
	if (parse(ours, argv, &o) < 0)
		rc = EXIT_USAGE;
	else if (o.local)
		rc = render_local(&o, raw, argv + ours + (ours < argc), argc - ours - (ours < argc));
	else if (ours < argc)
		rc = (bad("options after -- are for washmixd, with --local only",
			  ours + 1 < argc ? argv[ours + 1] : "--"),
		      EXIT_USAGE);
	else
		rc = send_render(&o, raw, request, arg);
	json_decref(o.req);
	json_decref(o.inputs);
	json_decref(o.output);
	return rc;
}
