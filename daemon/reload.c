/* reload.c - the difference between two configurations (reload.h), found
 * by comparing their printed INI forms line by line, so a new setting is
 * covered the day it is added to the settings table; what can change live
 * is this file's list. Control thread. */
#define _GNU_SOURCE
#include "daemon/reload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the daemon applies without a restart (main.c, apply_reload). */
static const char *const live_settings[] = {
	"log.level",
	"control.socket_allow",
	"control.socket_rate",
	"control.socket_burst",
	"osc.allow",
	"osc.rate",
	"osc.burst",
	"render.max_duration_s",
	"render.cache_ttl_s",
	"render.cache_max_entry_mb",
};

static bool is_live(const char *name)
{
	for (size_t i = 0; i < sizeof live_settings / sizeof live_settings[0]; i++)
		if (strcmp(live_settings[i], name) == 0)
			return true;
	return false;
}

static char *printed(const struct wm_config *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	wm_config_print(c, f);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* The value of "section.key" in printed INI text, or NULL. */
static const char *value_of(const char *text, const char *name, size_t *len)
{
	const char *dot = strchr(name, '.');
	size_t slen = (size_t)(dot - name), klen = strlen(dot + 1);
	bool in_section = false;
	for (const char *line = text; *line;) {
		const char *end = strchrnul(line, '\n');
		if (*line == '[')
			in_section = (size_t)(end - line) == slen + 2 &&
				     strncmp(line + 1, name, slen) == 0;
		else if (in_section && (size_t)(end - line) >= klen + 3 &&
			 memcmp(line, dot + 1, klen) == 0 && memcmp(line + klen, " = ", 3) == 0) {
			const char *v = line + klen + 3;
			*len = (size_t)(end - v);
			return v;
		}
		line = *end ? end + 1 : end;
	}
	return NULL;
}

static void note(struct wm_reload_diff *d, const char *name)
{
	bool live = is_live(name);
	int *n = live ? &d->nlive : &d->nrestart;
	char(*list)[WM_RELOAD_NAME] = live ? d->live : d->restart;
	if (*n < WM_RELOAD_MAX)
		snprintf(list[(*n)++], WM_RELOAD_NAME, "%s", name);
}

int wm_reload_diff(const struct wm_config *running, const struct wm_config *fresh,
		   struct wm_reload_diff *diff)
{
	char *a = printed(running), *b = printed(fresh);
	char section[WM_RELOAD_NAME] = "";
	int rc = a && b ? 0 : -1;

	memset(diff, 0, sizeof *diff);
	for (const char *line = b; rc == 0 && *line;) {
		const char *end = strchrnul(line, '\n');
		const char *eq = strstr(line, " = ");
		if (*line == '[') {
			snprintf(section, sizeof section, "%.*s", (int)(end - line - 2), line + 1);
		} else if (*line != ';' && eq && eq < end) {
			char name[WM_RELOAD_NAME];
			size_t old_len = 0, new_len = (size_t)(end - eq - 3);
			snprintf(name, sizeof name, "%s.%.*s", section, (int)(eq - line), line);
			const char *old = value_of(a, name, &old_len);
			if (!old || old_len != new_len || memcmp(old, eq + 3, new_len) != 0)
				note(diff, name);
		}
		line = *end ? end + 1 : end;
	}
	free(a);
	free(b);
	return rc;
}

bool wm_reload_changed(const struct wm_reload_diff *diff, const char *name)
{
	for (int i = 0; i < diff->nlive; i++)
		if (strcmp(diff->live[i], name) == 0)
			return true;
	return false;
}

const char *wm_reload_list(char names[][WM_RELOAD_NAME], int n, char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	for (int i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? "," : "", names[i]);
	if (n == 0)
		snprintf(buf, size, "none");
	return buf;
}
