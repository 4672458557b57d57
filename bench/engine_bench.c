/* engine_bench.c - how long the engine takes per frame for a few mix
 * sizes, and whether the mix kernel runs vectorised on this machine.
 * A program, not a test: it prints numbers and never fails on them.
 *
 * For each topology (every channel sending to every zone, the worst case)
 * it times wm_engine_process_rt (commands, mix, meters), the bare kernel
 * (wm_dsp_mix_rt), and a scalar loop doing the same multiply-adds with
 * vectorisation switched off. A kernel well ahead of the scalar loop is
 * vectorised; one level with it is not. Built at -O2 with dsp.c at -O3
 * -ffp-contract=off, as the engine is.
 *
 * It also times the kernel with every gain ramping (a ramp far longer than
 * the run, so it never settles) and memcpy of the same bytes as the
 * memory-bandwidth bound: every input port buffer and every output port
 * buffer of one period copied once (in_bytes + out_bytes, the least any
 * mix must read and write), each port to its own destination. With
 * --json [--runs N] [--run-ms MS] it prints every timed run of every job
 * as one JSON object (bench/parts/engine.py reads it). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/args.h"

#include "engine/dsp.h"
#include "engine/engine.h"

#define RATE_HZ 48000u
#define RUNS 9                 /* timed runs per case; the fastest counts */
#define RUNS_MAX 64
#define RUN_NS 20000000.0      /* aim for ~20 ms per run */
#define RAMP_FRAMES 2000000000u /* far longer than any run: always ramping */

static int runs = RUNS;
static double run_ns = RUN_NS;

struct bufs {
	int in_ports;
	int out_ports;
	float **in;
	float **out;
	float **copy;          /* memcpy destinations: in_ports + out_ports */
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p) {
		fprintf(stderr, "engine_bench: out of memory\n");
		exit(1);
	}
	return p;
}

static void bufs_init(struct bufs *b, int in_ports, int out_ports, uint32_t frames)
{
	uint32_t seed = 1;

	b->in_ports = in_ports;
	b->out_ports = out_ports;
	b->in = xcalloc((size_t)in_ports, sizeof *b->in);
	b->out = xcalloc((size_t)out_ports, sizeof *b->out);
	for (int p = 0; p < in_ports; p++) {
		b->in[p] = xcalloc(frames, sizeof(float));
		for (uint32_t i = 0; i < frames; i++) {
			seed = seed * 1664525u + 1013904223u;
			b->in[p][i] = (float)((int32_t)seed >> 8) / 16777216.0f;
		}
	}
	for (int p = 0; p < out_ports; p++)
		b->out[p] = xcalloc(frames, sizeof(float));
	b->copy = xcalloc((size_t)in_ports + (size_t)out_ports, sizeof *b->copy);
	for (int p = 0; p < in_ports + out_ports; p++)
		b->copy[p] = xcalloc(frames, sizeof(float));
}

static void bufs_done(struct bufs *b)
{
	for (int p = 0; p < b->in_ports; p++)
		free(b->in[p]);
	for (int p = 0; p < b->out_ports; p++)
		free(b->out[p]);
	for (int p = 0; p < b->in_ports + b->out_ports; p++)
		free(b->copy[p]);
	free(b->in);
	free(b->out);
	free(b->copy);
}

/* What the kernel would be without SIMD: the same multiply-adds, one
 * sample at a time. */
#if defined(__clang__)
static void scalar_mix(int channels, int zones, const float *const *in,
		       float *const *out, uint32_t frames, float g)
{
	for (int p = 0; p < 2 * zones; p++)
		memset(out[p], 0, frames * sizeof(float));
	for (int c = 0; c < channels; c++)
		for (int s = 0; s < 2; s++)
			for (int z = 0; z < zones; z++) {
				float *y = out[2 * z + s];
				const float *x = in[2 * c + s];

#pragma clang loop vectorize(disable) interleave(disable)
				for (uint32_t i = 0; i < frames; i++)
					y[i] += g * x[i];
			}
}
#else
__attribute__((optimize("no-tree-vectorize", "no-tree-slp-vectorize")))
static void scalar_mix(int channels, int zones, const float *const *in,
		       float *const *out, uint32_t frames, float g)
{
	for (int p = 0; p < 2 * zones; p++)
		memset(out[p], 0, frames * sizeof(float));
	for (int c = 0; c < channels; c++)
		for (int s = 0; s < 2; s++)
			for (int z = 0; z < zones; z++) {
				float *y = out[2 * z + s];
				const float *x = in[2 * c + s];

				for (uint32_t i = 0; i < frames; i++)
					y[i] += g * x[i];
			}
}
#endif

/* The memory-bandwidth bound: each input and output buffer of one period
 * copied once. */
static void copy_all(const struct bufs *b, uint32_t frames)
{
	for (int p = 0; p < b->in_ports; p++)
		memcpy(b->copy[p], b->in[p], frames * sizeof(float));
	for (int p = 0; p < b->out_ports; p++)
		memcpy(b->copy[b->in_ports + p], b->out[p], frames * sizeof(float));
}

enum what { ENGINE, KERNEL, SCALAR, KERNEL_RAMP, MEMCPY, NJOBS };

struct job {
	struct wm_engine *engine;
	struct wm_ramp *coef;
	int (*in_port)[2];
	struct bufs *b;
	enum what what;
	int channels;
	int zones;
	uint32_t frames;
};

static void run_once(const struct job *j)
{
	const float *const *in = (const float *const *)j->b->in;

	switch (j->what) {
	case ENGINE:
		wm_engine_process_rt(j->engine, in, j->b->out, j->frames);
		break;
	case KERNEL:
		wm_dsp_mix_rt(j->coef, j->channels, j->zones, (const int (*)[2])j->in_port,
			      in, j->b->out, j->frames);
		break;
	case SCALAR:
		scalar_mix(j->channels, j->zones, in, j->b->out, j->frames, 1.0f);
		break;
	case KERNEL_RAMP:
		wm_dsp_mix_rt(j->coef, j->channels, j->zones, (const int (*)[2])j->in_port,
			      in, j->b->out, j->frames);
		break;
	case MEMCPY:
		copy_all(j->b, j->frames);
		break;
	case NJOBS:
		break;
	}
}

/* Nanoseconds per period for each job in each of runs runs (ns[k][r]),
 * and the fastest (best[k]). The jobs take turns run by run, so a noisy
 * neighbour (this is often a VM) hits them alike rather than skewing one. */
static void time_jobs(const struct job *jobs, int njobs, double ns[][RUNS_MAX], double *best)
{
	long n[NJOBS];

	for (int k = 0; k < njobs; k++) {
		double t0 = now_ns();

		for (int i = 0; i < 16; i++)
			run_once(&jobs[k]);
		double per = (now_ns() - t0) / 16.0;
		n[k] = (long)(run_ns / (per > 1.0 ? per : 1.0));
		n[k] = n[k] < 16 ? 16 : n[k];
		best[k] = 1e300;
	}
	for (int r = 0; r < runs; r++) {
		for (int k = 0; k < njobs; k++) {
			double t0 = now_ns();

			for (long i = 0; i < n[k]; i++)
				run_once(&jobs[k]);
			double t = (now_ns() - t0) / (double)n[k];
			ns[k][r] = t;
			best[k] = t < best[k] ? t : best[k];
		}
	}
}

static void print_json_runs(const char *name, const double *ns, int last)
{
	printf("     \"%s\": [", name);
	for (int r = 0; r < runs; r++)
		printf("%s%.3f", r ? ", " : "", ns[r]);
	printf("]%s\n", last ? "" : ",");
}

static int bench(int channels, int zones, uint32_t frames, bool json, bool first,
		 double *speedup)
{
	struct wm_engine_config config = { .sample_rate = RATE_HZ };
	struct wm_mix mix;
	struct wm_err err;
	struct bufs b;

	wm_mix_init(&mix, channels, zones, NULL);
	struct wm_engine *engine = wm_engine_create(&config, &mix, &err);
	if (!engine) {
		fprintf(stderr, "engine_bench: %s\n", err.msg);
		return -1;
	}
	bufs_init(&b, wm_engine_input_ports(engine), wm_engine_output_ports(engine), frames);

	size_t paths = (size_t)channels * (size_t)zones * 2;
	struct wm_ramp *coef = xcalloc(paths, sizeof *coef);
	struct wm_ramp *ramp = xcalloc(paths, sizeof *ramp);
	int (*in_port)[2] = xcalloc((size_t)channels, sizeof *in_port);
	for (size_t k = 0; k < paths; k++) {
		wm_ramp_set(&coef[k], 1.0f);
		wm_ramp_set(&ramp[k], 1.0f);
		wm_ramp_retarget(&ramp[k], 0.5f, RAMP_FRAMES);
	}
	for (int c = 0; c < channels; c++) {
		in_port[c][0] = 2 * c;
		in_port[c][1] = 2 * c + 1;
	}

	struct job jobs[NJOBS] = {
		{ .what = ENGINE, .engine = engine, .coef = coef, .in_port = in_port,
		  .channels = channels, .zones = zones, .b = &b, .frames = frames },
		{ .what = KERNEL, .engine = engine, .coef = coef, .in_port = in_port,
		  .channels = channels, .zones = zones, .b = &b, .frames = frames },
		{ .what = SCALAR, .engine = engine, .coef = coef, .in_port = in_port,
		  .channels = channels, .zones = zones, .b = &b, .frames = frames },
		{ .what = KERNEL_RAMP, .engine = engine, .coef = ramp, .in_port = in_port,
		  .channels = channels, .zones = zones, .b = &b, .frames = frames },
		{ .what = MEMCPY, .engine = engine, .coef = coef, .in_port = in_port,
		  .channels = channels, .zones = zones, .b = &b, .frames = frames },
	};
	static double ns[NJOBS][RUNS_MAX];
	double best[NJOBS];
	time_jobs(jobs, NJOBS, ns, best);
	double engine_ns = best[ENGINE], kernel_ns = best[KERNEL], scalar_ns = best[SCALAR];
	double samples = (double)paths * frames;
	double budget_ns = 1e9 * frames / RATE_HZ;

	if (json) {
		/* The mix reads 2 samples per channel and writes 2 per zone;
		 * the engine's own ports may be more (it has none extra now). */
		printf("%s    {\"channels\": %d, \"zones\": %d, \"frames\": %u,"
		       " \"in_bytes\": %zu, \"out_bytes\": %zu, \"paths\": %zu,\n",
		       first ? "" : ",\n", channels, zones, frames,
		       (size_t)b.in_ports * frames * sizeof(float),
		       (size_t)b.out_ports * frames * sizeof(float), paths);
		printf("     \"ramps_still_active\": %s,\n",
		       ramp[0].left_frames > 0 && ramp[paths - 1].left_frames > 0 ? "true" : "false");
		print_json_runs("engine_ns", ns[ENGINE], 0);
		print_json_runs("kernel_idle_ns", ns[KERNEL], 0);
		print_json_runs("kernel_ramp_ns", ns[KERNEL_RAMP], 0);
		print_json_runs("scalar_ns", ns[SCALAR], 0);
		print_json_runs("memcpy_ns", ns[MEMCPY], 1);
		printf("    }");
	} else {
		printf("%4d ch x %2d zones %4u frames | %9.1f ns/frame %8.2f us/period %5.1f%% of the period"
		       " | kernel %6.3f ns/path-sample, scalar %6.3f (%4.1fx)\n",
		       channels, zones, frames, engine_ns / frames, engine_ns / 1e3,
		       100.0 * engine_ns / budget_ns, kernel_ns / samples, scalar_ns / samples,
		       scalar_ns / kernel_ns);
	}
	*speedup = scalar_ns / kernel_ns;

	free(in_port);
	free(ramp);
	free(coef);
	bufs_done(&b);
	wm_engine_destroy(engine);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: engine_bench [--json] [--runs N (1..%d)] [--run-ms MS]\n",
		RUNS_MAX);
	exit(64);
}

int main(int argc, char **argv)
{
	static const int sizes[][2] = { { 8, 2 }, { 64, 8 }, { 256, 16 } };
	static const uint32_t periods[] = { 64, 256 };
	double worst = 1e300;
	bool json = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
			runs = (int)bench_arg_long(argv[++i], "--runs", 1, RUNS_MAX);
		} else if (strcmp(argv[i], "--run-ms") == 0 && i + 1 < argc) {
			run_ns = bench_arg_double(argv[++i], "--run-ms", 0.1, 60000.0) * 1e6;
		} else {
			usage();
		}
	}

	if (json)
		printf("{\"rate\": %u, \"isa\": \"%s\", \"cases\": [\n", RATE_HZ, wm_dsp_isa());
	else
		printf("washmix engine bench: %u Hz, every channel sends to every zone, kernel ISA: %s\n",
		       RATE_HZ, wm_dsp_isa());
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		for (size_t p = 0; p < sizeof periods / sizeof periods[0]; p++) {
			double speedup;

			if (bench(sizes[s][0], sizes[s][1], periods[p], json, s == 0 && p == 0,
				  &speedup) < 0)
				return 1;
			/* Judge on the long periods of the bigger mixes: short
			 * periods and small mixes measure per-call overhead. */
			if (sizes[s][0] >= 64 && periods[p] >= 256)
				worst = speedup < worst ? speedup : worst;
		}
	}
	/* Grouping alone buys ~1.5x over the scalar loop; SIMD gives 4x+. */
	if (json)
		printf("\n  ], \"vectorised\": %s, \"kernel_vs_scalar_min\": %.3f}\n",
		       worst >= 2.5 ? "true" : "false", worst);
	else
		printf("vectorised: %s (kernel %.1fx the scalar loop at 256 frames, 64+ channels)\n",
		       worst >= 2.5 ? "yes" : "NO - check the -O3 flags and target_clones in engine/",
		       worst);
	return 0;
}
