/* jack_passthru.c - the baseline of the realtime benchmark: the least a
 * JACK client can do with N channels, copying each of N input ports to its
 * output port, measured the way washmixd measures itself.
 *
 * usage: jack_passthru SERVER CLIENT-NAME PORTS
 * Prints "ready" once active. Then for every line read on stdin it prints
 * one JSON line: {"dsp_load", "peak", "max", "xruns", "periods"}: JACK's
 * jack_cpu_load, this client's worst process callback since the previous
 * line (peak) and since start (max), in % of the period (timed with
 * jack_get_time, as washmixd's engine_load_peak/_max are), xruns seen and
 * periods run. Exits at end of input. A program, not a test. */
#include <jack/jack.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/args.h"

struct thru {
	jack_client_t *client;
	int ports;
	jack_port_t **in, **out;
	atomic_uint used_peak;            /* µs, reset when reported */
	atomic_uint used_max;             /* µs, since start */
	atomic_uint_fast64_t periods;
	atomic_uint_fast64_t xruns;
};

static void raise_to(atomic_uint *a, unsigned v)
{
	if (v > atomic_load_explicit(a, memory_order_relaxed))
		atomic_store_explicit(a, v, memory_order_relaxed);
}

static int process(jack_nframes_t frames, void *arg)
{
	struct thru *t = arg;
	jack_time_t start = jack_get_time();

	for (int p = 0; p < t->ports; p++) {
		const float *x = jack_port_get_buffer(t->in[p], frames);
		float *y = jack_port_get_buffer(t->out[p], frames);

		memcpy(y, x, frames * sizeof(float));
	}
	unsigned used = (unsigned)(jack_get_time() - start);
	raise_to(&t->used_peak, used);
	raise_to(&t->used_max, used);
	uint_fast64_t n = atomic_load_explicit(&t->periods, memory_order_relaxed);
	atomic_store_explicit(&t->periods, n + 1, memory_order_relaxed);
	return 0;
}

static int on_xrun(void *arg)
{
	struct thru *t = arg;

	atomic_fetch_add_explicit(&t->xruns, 1, memory_order_relaxed);
	return 0;
}

static void register_ports(struct thru *t)
{
	t->in = calloc((size_t)t->ports, sizeof *t->in);
	t->out = calloc((size_t)t->ports, sizeof *t->out);
	if (!t->in || !t->out) {
		fprintf(stderr, "jack_passthru: out of memory\n");
		exit(1);
	}
	for (int p = 0; p < t->ports; p++) {
		char name[32];

		snprintf(name, sizeof name, "in_%d", p + 1);
		t->in[p] = jack_port_register(t->client, name, JACK_DEFAULT_AUDIO_TYPE,
					      JackPortIsInput, 0);
		snprintf(name, sizeof name, "out_%d", p + 1);
		t->out[p] = jack_port_register(t->client, name, JACK_DEFAULT_AUDIO_TYPE,
					       JackPortIsOutput, 0);
		if (!t->in[p] || !t->out[p]) {
			fprintf(stderr, "jack_passthru: cannot register port %d\n", p + 1);
			exit(1);
		}
	}
}

static void report(struct thru *t)
{
	double period_us = 1e6 * jack_get_buffer_size(t->client) / jack_get_sample_rate(t->client);
	unsigned peak = atomic_exchange_explicit(&t->used_peak, 0, memory_order_relaxed);
	unsigned max = atomic_load_explicit(&t->used_max, memory_order_relaxed);

	printf("{\"dsp_load\": %.4f, \"peak\": %.4f, \"max\": %.4f, \"xruns\": %llu,"
	       " \"periods\": %llu}\n",
	       jack_cpu_load(t->client), 100.0 * peak / period_us, 100.0 * max / period_us,
	       (unsigned long long)atomic_load(&t->xruns),
	       (unsigned long long)atomic_load(&t->periods));
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct thru t = { 0 };
	jack_status_t status;
	char line[256];

	if (argc != 4) {
		fprintf(stderr, "usage: jack_passthru SERVER CLIENT-NAME PORTS\n");
		return 64;
	}
	t.ports = (int)bench_arg_long(argv[3], "PORTS", 1, 4096);
	t.client = jack_client_open(argv[2], JackServerName | JackNoStartServer, &status,
				    argv[1]);
	if (!t.client) {
		fprintf(stderr, "jack_passthru: cannot open a client on %s (status 0x%x)\n",
			argv[1], (unsigned)status);
		return 1;
	}
	register_ports(&t);
	jack_set_process_callback(t.client, process, &t);
	jack_set_xrun_callback(t.client, on_xrun, &t);
	if (jack_activate(t.client) != 0) {
		fprintf(stderr, "jack_passthru: cannot activate\n");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof line, stdin))
		report(&t);
	jack_deactivate(t.client);
	jack_client_close(t.client);
	return 0;
}
