/* reload.h - what a configuration reload (SIGHUP) changed: the settings
 * whose effective values differ between the running configuration and the
 * one just read, split into those the daemon applies live and those that
 * need a restart. Settings are named "section.key" as in the INI file.
 * Control thread. */
#ifndef WM_RELOAD_H
#define WM_RELOAD_H

#include <stdbool.h>

#include "daemon/config.h"

#define WM_RELOAD_MAX 64
#define WM_RELOAD_NAME 48

struct wm_reload_diff {
	int nlive, nrestart;
	char live[WM_RELOAD_MAX][WM_RELOAD_NAME];
	char restart[WM_RELOAD_MAX][WM_RELOAD_NAME];
};

/* Compare the effective settings (wm_config_print of each). -1 only when
 * memory runs out. */
int wm_reload_diff(const struct wm_config *running, const struct wm_config *fresh,
		   struct wm_reload_diff *diff);

/* True when diff lists name ("render.cache_ttl_s") as changed live. */
bool wm_reload_changed(const struct wm_reload_diff *diff, const char *name);

/* "a, b, c" (or "none") into buf. */
const char *wm_reload_list(char names[][WM_RELOAD_NAME], int n, char *buf, size_t size);

#endif
