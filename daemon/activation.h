/* activation.h - socket activation (sd_listen_fds(3)): when systemd
 * started washmixd from washmixd.socket, take the control socket it opened
 * instead of binding one; without LISTEN_FDS the daemon binds as usual.
 * Control thread, once at start-up. */
#ifndef WM_ACTIVATION_H
#define WM_ACTIVATION_H

#include <stddef.h>

#include "common/err.h"

/* The listening socket systemd passed (>= 0, close-on-exec) with the path
 * it is bound to in path; -1 when none was passed; -2 with err set when
 * what was passed cannot be the control socket (not exactly one listening
 * Unix stream socket). Unsets LISTEN_* so nothing we start inherits them. */
int wm_activation_control_fd(char *path, size_t len, struct wm_err *err);

#endif
