/* proc.h - child processes for the integration tests: spawn a program with
 * argv and extra environment, its output to log files; ask whether it runs;
 * signal it and wait with a timeout.
 *
 * Every process spawned here is remembered in a small table together with the
 * pid of the process that spawned it (the "owner"). An atexit handler, and
 * wm_proc_kill_all, stop the ones the calling process owns, so a failing
 * test (Check's fork mode exits the test child with exit()) never leaves a
 * jackd or washmixd behind. A forked test child inherits its parent's table
 * but never touches entries it does not own. Spawned programs also get
 * PR_SET_PDEATHSIG=SIGKILL, which covers a SIGKILLed test binary (ctest's
 * timeout).
 *
 * Threads: any thread of the owner; not meant for concurrent use. */
#ifndef WM_T_PROC_H
#define WM_T_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct wm_proc {
	pid_t pid;
	pid_t owner;            /* getpid() of the spawner */
	bool reaped;            /* waitpid() returned it */
	int status;             /* raw wait status once reaped */
	char name[64];          /* basename of argv[0], for messages */
};

/* Start argv[0] (a path; not searched in PATH) with argv, the current
 * environment plus env_extra ("KEY=VALUE" strings, NULL-terminated, may be
 * NULL; a KEY given here replaces the inherited one). stdout goes to
 * out_path and stderr to err_path (appended; the same path for both gives one
 * interleaved log; NULL means /dev/null). stdin is /dev/null. Returns NULL and
 * fills err (exec failures are detected: the child reports errno through a
 * close-on-exec pipe). */
struct wm_proc *wm_proc_spawn(const char *const argv[], const char *const env_extra[],
			      const char *out_path, const char *err_path,
			      char *err, size_t errlen);

/* True while the process has not exited. Reaps it when it has (owner only;
 * others look at /proc/PID/stat and treat a zombie as exited). */
bool wm_proc_alive(struct wm_proc *p);

/* Wait up to timeout_ms for the process to exit. Returns 0 and sets *status
 * (raw wait status; may be NULL) when it exited, -1 on timeout. */
int wm_proc_wait(struct wm_proc *p, int timeout_ms, int *status);

/* Send sig, wait up to timeout_ms, then SIGKILL and wait. Returns 0 when it
 * exited within timeout_ms of sig, 1 when SIGKILL was needed, -1 on error.
 * *status gets the raw wait status (may be NULL). Idempotent once reaped. */
int wm_proc_stop(struct wm_proc *p, int sig, int timeout_ms, int *status);

/* Forget a reaped (or foreign) process: frees its table slot. */
void wm_proc_release(struct wm_proc *p);

/* Stop every process the calling process owns (SIGTERM, 3 s, SIGKILL). */
void wm_proc_kill_all(void);

/* "exit 0", "exit 3", "signal 11 (Segmentation fault)". */
const char *wm_proc_status_str(int status, char *buf, size_t len);

/* The last max_bytes of a file, starting after a newline when possible, as a
 * malloc'd string ("" when missing). Never NULL. */
char *wm_file_tail(const char *path, size_t max_bytes);

/* Whole file as a malloc'd string (NULL when unreadable); *len may be NULL. */
char *wm_file_read(const char *path, size_t *len);

/* A field of /proc/PID/status in KiB ("VmRSS", "VmHWM", "RssAnon", ...);
 * -1 when the process is gone or has no such field. */
long wm_proc_status_kib(pid_t pid, const char *field);

/* Monotonic clock, milliseconds and microseconds. */
long long wm_now_ms(void);
long long wm_now_us(void);
void wm_sleep_ms(int ms);

/* A fresh directory wmtest.XXXXXX under $WASHMIX_TEST_TMPDIR, else $TMPDIR,
 * else /tmp, made on the first call (a forked test child gets its parent's),
 * removed recursively at exit by the process that made it, unless
 * WM_KEEP_TMP is set in the environment or wm_tmpdir_keep() was called.
 * Returns a static path or NULL with errno. */
const char *wm_tmpdir(void);
void wm_tmpdir_keep(void);

#endif
