/* soak_report.c - print and write the soak's result (soak_report.h); the soak's main
 * thread. */
#include "tests/soak/soak_report.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* "a.b.c" in nested objects; NULL when missing. */
static const json_t *at(const json_t *root, const char *path)
{
	char key[64];
	const json_t *v = root;

	while (v && *path) {
		size_t n = strcspn(path, ".");

		snprintf(key, sizeof key, "%.*s", (int)n, path);
		v = json_object_get(v, key);
		path += n + (path[n] == '.');
	}
	return v;
}

static void row(const json_t *r, const char *label, const char *path)
{
	const json_t *v = at(r, path);
	char *text = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(6))
		       : NULL;

	printf("| %-44s | %-40s |\n", label, text ? text : "-");
	free(text);
}

static const struct {
	const char *label, *path;
} rows[] = {
	{ "duration s, all load phases", "run.seconds" },
	{ "warm-up s", "run.warmup_s" },
	{ "JACK rate / period", "run.jack" },
	{ "channels x zones", "run.mix" },
	{ "load average at start / end (1 min)", "run.loadavg" },
	{ "CPU steal % (hypervisor) during the run", "run.steal_pct" },
	{ "xruns seen by washmixd (stats)", "xruns.washmixd_seen" },
	{ "xruns seen by the passthrough client", "xruns.passthru_seen" },
	{ "JACK server realtime (-R)", "xruns.realtime" },
	{ "late cycles (jackd: Process error)", "xruns.late_cycles" },
	{ "blamed: washmixd / passthru / source", "xruns.blamed" },
	{ "  of which Running (inside the callback)", "xruns.blamed_running" },
	{ "cycles blaming one client alone", "xruns.blamed_alone" },
	{ "blame lines, all clients", "xruns.blamed_all" },
	{ "washmixd worst callback %, since start", "xruns.washmixd_engine_load_max" },
	{ "  the same after warm-up", "xruns.washmixd_peak_after_warmup" },
	{ "passthrough worst callback %, since start", "xruns.passthru_max_pct" },
	{ "own RSS KiB after warm-up (quiet)", "memory.rss_start_kib" },
	{ "own RSS KiB at the end (quiet)", "memory.rss_end_kib" },
	{ "own RSS growth KiB", "memory.growth_kib" },
	{ "own RSS KiB min / max under load", "memory.under_load_kib" },
	{ "open fds after warm-up / at the end", "fds" },
	{ "set/get pairs / wrong", "socket.setget" },
	{ "OSC sent per source", "osc.sent" },
	{ "OSC received / applied / rate-limited", "osc.daemon" },
	{ "OSC lost in transit / /error replies", "osc.lost_errors" },
	{ "OSC final values checked / wrong", "osc.final" },
	{ "scene recalls / values checked / wrong", "scenes" },
	{ "players started / stopped / wrong", "players.requests" },
	{ "player underruns (stats)", "players.underruns" },
	{ "renders submitted / done / failed / cached", "renders" },
	{ "request failures (all clients)", "request_failures" },
	{ "daemon alive throughout / stopped cleanly", "daemon" },
	{ "first problem", "first_problem" },
};

void soak_report_print(const json_t *result)
{
	const json_t *criteria = json_object_get(result, "criteria");
	const char *key;
	const json_t *v;

	printf("\n| %-44s | %-40s |\n|%s|%s|\n", "soak", "figure",
	       "----------------------------------------------",
	       "------------------------------------------");
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		row(result, rows[i].label, rows[i].path);
	printf("\n");
	json_object_foreach((json_t *)criteria, key, v) {
		printf("%-4s %s: %s\n", json_is_true(json_object_get(v, "pass")) ? "PASS" : "FAIL",
		       key, json_string_value(json_object_get(v, "detail")));
	}
	printf("soak: %s\n", json_is_true(json_object_get(result, "pass")) ? "PASSED" : "FAILED");
	fflush(stdout);
}

static int make_parents(const char *path)
{
	char dir[4096];

	snprintf(dir, sizeof dir, "%s", path);
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

int soak_report_write(const json_t *result, const char *path)
{
	if (make_parents(path) != 0)
		return -1;
	return json_dump_file(result, path, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
}
