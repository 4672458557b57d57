/* rtguard_run.h - run washmixd under the realtime-safety interposer
 * (tests/rtguard, librtguard.so) and judge its log.
 *
 * When the environment names the library (WASHMIX_TEST_RTGUARD=PATH; set by
 * scripts/test for the plain build), every washmixd a test starts gets
 * LD_PRELOAD=PATH and RTGUARD_MODE=count (or WASHMIX_TEST_RTGUARD_MODE when
 * set; empty means the library's default, abort),
 * and nothing else does: not the test binary, not jackd. After the daemon
 * is gone its log (from the offset it had at start) must hold no
 * "rtguard: realtime violation" line and, when it exited on its own, the
 * library's exit line; a daemon that was connected to JACK must have
 * passed through the process-callback hook (cycles > 0), which proves the
 * check was live. Test thread. */
#ifndef WM_T_RTGUARD_RUN_H
#define WM_T_RTGUARD_RUN_H

#include <stdbool.h>
#include <stddef.h>

/* The library's path from WASHMIX_TEST_RTGUARD, or NULL when off. */
const char *wm_t_rtguard_lib(void);

/* Append the LD_PRELOAD= and RTGUARD_MODE= entries to env (which has n
 * entries and room for max, the NULL terminator included) when rtguard is
 * on; returns the new count. The strings are static. Fails the test when
 * the library named does not exist. */
int wm_t_rtguard_env(const char *env[], int n, int max);

/* The same for a launcher that takes the daemon's environment as options
 * (strace -E VAR=VAL, systemd-socket-activate -E VAR=VAL): appends
 * "-E", "LD_PRELOAD=...", "-E", "RTGUARD_MODE=..." to argv (n entries, room
 * for max) so only the daemon gets them; returns the new count. */
int wm_t_rtguard_launcher_args(const char *argv[], int n, int max);

/* The size of a log file now (0 when missing): where a new run starts. */
long wm_t_log_size(const char *path);

enum wm_t_rtguard_end {
	WM_T_RTG_KILLED,        /* killed by a signal: no exit line to expect */
	WM_T_RTG_EXITED,        /* exited on its own, never ran the engine */
	WM_T_RTG_EXITED_LIVE,   /* exited on its own after JACK was connected */
};

/* What is wrong with the run logged in path from offset on, as a malloc'd
 * message quoting the report, or NULL when nothing is (always NULL when
 * rtguard is off). */
char *wm_t_rtguard_problem(const char *path, long from, enum wm_t_rtguard_end end);

/* ck_abort_msg with the problem, if any; who names the daemon. */
void wm_t_rtguard_check(const char *path, long from, enum wm_t_rtguard_end end,
			const char *who);

/* The numbers in the exit line "rtguard: N realtime violation(s) in C
 * process cycles" of the run; false when there is none. */
bool wm_t_rtguard_exit_line(const char *path, long from, unsigned long *violations,
			    unsigned long *cycles);

#endif
