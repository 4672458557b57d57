/* soak_watch.h - what the soak measures from outside washmixd: its own
 * memory and open descriptors from /proc, the xruns jackd's log attributes
 * to each client, and the baseline passthrough client (bench/jack_passthru,
 * run as a child process and asked for its counters over a pipe). The
 * soak's main thread. */
#ifndef WM_SOAK_WATCH_H
#define WM_SOAK_WATCH_H

#include <stddef.h>
#include <sys/types.h>

/* RssAnon + RssFile of pid in KiB: the process's own memory, without the
 * JACK server's shared segment that VmRSS also counts (RssShmem). -1 when
 * unreadable. */
long soak_own_rss_kib(pid_t pid);

/* Entries in /proc/PID/fd; -1 when unreadable. */
int soak_fd_count(pid_t pid);

/* Bytes in a file now (where to start reading a log later); 0 if missing. */
long soak_file_size(const char *path);

#define SOAK_BLAME_CLIENTS 3

/* What jackd's log says about xruns since a mark. jackd writes, for each
 * cycle whose graph did not finish in time, one line per late client
 * ("JackEngine::XRun: client = NAME was not finished, state = Triggered"
 * when it had not started, "Running" when it was inside its process
 * callback), then "ProcessGraphAsyncMaster: Process error". */
struct soak_blame {
	long cycles;                          /* "Process error" lines */
	long lines_all;                       /* blame lines for any client */
	long lines[SOAK_BLAME_CLIENTS];       /* blame lines per named client */
	long running[SOAK_BLAME_CLIENTS];     /* ... of them with state Running */
	long alone[SOAK_BLAME_CLIENTS];       /* cycles that blame this client only */
};

/* Read path from byte `from` on and count for the n (<= 3) exact client
 * names. -1 when unreadable. */
int soak_count_blamed(const char *path, long from, const char *const names[], int n,
		      struct soak_blame *b);

struct soak_passthru;

/* Start bench/jack_passthru (binary at path) as client `name` with `ports`
 * inputs and outputs on server, wait for its "ready". NULL with err. */
struct soak_passthru *soak_passthru_start(const char *path, const char *server,
					  const char *name, int ports, char *err,
					  size_t errlen);

/* Its counters now: xruns seen and periods run. -1 on failure. */
int soak_passthru_poll(struct soak_passthru *p, long *xruns, long *periods,
		       double *max_pct);

/* Close its stdin (it exits), reap it; 0 when it exited with status 0. */
int soak_passthru_stop(struct soak_passthru *p);

#endif
