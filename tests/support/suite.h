/* suite.h - the one main() every Check binary shares: run the suite in
 * fork mode, keep the scratch directory when something failed (so the logs
 * of jackd and washmixd can be read), and turn the result into an exit
 * status for ctest. */
#ifndef WM_T_SUITE_H
#define WM_T_SUITE_H

#include <check.h>

int wm_t_run_suite(Suite *suite);

#endif
