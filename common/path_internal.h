/* path_internal.h - test hooks of common/path.c, not part of its contract.
 * Only the unit tests include this. */
#ifndef WM_PATH_INTERNAL_H
#define WM_PATH_INTERNAL_H

#include <stdbool.h>

/* true: wm_path_open_beneath skips openat2 and always walks the path
 * component by component (the fallback for kernels or seccomp filters
 * without openat2), so the tests can check both resolvers on one machine.
 * Process-wide; set it before opening, from the test thread. */
void wm_path_force_fallback(bool on);

#endif
