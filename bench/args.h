/* args.h - command-line numbers for the benchmark programs: the whole
 * argument must be a number in range, else the program says which
 * argument was wrong and exits 64 (usage). Header-only: each benchmark is
 * one file. */
#ifndef WM_BENCH_ARGS_H
#define WM_BENCH_ARGS_H

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static inline long bench_arg_long(const char *text, const char *what, long lo, long hi)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < lo || v > hi) {
		fprintf(stderr, "%s must be an integer %ld..%ld; got \"%s\"\n", what, lo, hi, text);
		exit(64);
	}
	return v;
}

static inline double bench_arg_double(const char *text, const char *what, double lo, double hi)
{
	char *end = NULL;
	double v = strtod(text, &end);
	if (end == text || *end || !isfinite(v) || v < lo || v > hi) {
		fprintf(stderr, "%s must be a number %g..%g; got \"%s\"\n", what, lo, hi, text);
		exit(64);
	}
	return v;
}

#endif
