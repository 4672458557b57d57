/* peer_allow.c - parsing and checking the control socket's allow-list
 * (control thread, and config parsing on the main thread at start). */
#include "control/peer_allow.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ENTRY_MAX 128

static bool parse_id(const char *text, unsigned long *out)
{
	char *end;
	if (!*text || *text == '-' || *text == '+')
		return false;
	errno = 0;
	unsigned long n = strtoul(text, &end, 10);
	if (*end || errno || n >= 0xffffffffUL)
		return false;
	*out = n;
	return true;
}

static int add_user(struct wm_peer_allow *a, const char *name, bool numeric_ok,
		    struct wm_err *err)
{
	unsigned long n;
	uid_t uid;
	if (numeric_ok && parse_id(name, &n)) {
		uid = (uid_t)n;
	} else {
		const struct passwd *pw = getpwnam(name);
		if (!pw)
			return wm_err_set(err, WM_E_BAD_CONFIG,
					  "socket allow-list: there is no user \"%s\" on this system",
					  name);
		uid = pw->pw_uid;
	}
	a->uid[a->nuids++] = uid;
	return 0;
}

static int add_group(struct wm_peer_allow *a, const char *name, bool numeric_ok,
		     struct wm_err *err)
{
	unsigned long n;
	gid_t gid;
	if (numeric_ok && parse_id(name, &n)) {
		gid = (gid_t)n;
	} else {
		const struct group *gr = getgrnam(name);
		if (!gr)
			return wm_err_set(err, WM_E_BAD_CONFIG,
					  "socket allow-list: there is no group \"%s\" on this system",
					  name);
		gid = gr->gr_gid;
	}
	a->gid[a->ngids++] = gid;
	return 0;
}

static int parse_entry(struct wm_peer_allow *a, const char *entry, struct wm_err *err)
{
	const char *colon = strchr(entry, ':');
	size_t kind = colon ? (size_t)(colon - entry) : 0;
	const char *name = colon ? colon + 1 : "";
	if (a->nuids + a->ngids == WM_PEER_ALLOW_MAX)
		return wm_err_set(err, WM_E_BAD_CONFIG,
				  "socket allow-list: more than %d users and groups",
				  WM_PEER_ALLOW_MAX);
	if (*name && kind == 3 && strncmp(entry, "uid", 3) == 0)
		return add_user(a, name, true, err);
	if (*name && kind == 4 && strncmp(entry, "user", 4) == 0)
		return add_user(a, name, false, err);
	if (*name && kind == 3 && strncmp(entry, "gid", 3) == 0)
		return add_group(a, name, true, err);
	if (*name && kind == 5 && strncmp(entry, "group", 5) == 0)
		return add_group(a, name, false, err);
	return wm_err_set(err, WM_E_BAD_CONFIG,
			  "socket allow-list: \"%s\" is not an entry; write uid:N, user:NAME, "
			  "gid:N or gid:NAME, group:NAME, separated by commas "
			  "(e.g. uid:1000,gid:audio)",
			  entry);
}

int wm_peer_allow_parse(const char *text, struct wm_peer_allow *allow, struct wm_err *err)
{
	struct wm_peer_allow a = { .everyone = !*text };
	if (strlen(text) >= sizeof a.text)
		return wm_err_set(err, WM_E_BAD_CONFIG,
				  "socket allow-list is %zu bytes; the limit is %zu", strlen(text),
				  sizeof a.text - 1);
	snprintf(a.text, sizeof a.text, "%s", text);
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, ",");
		char entry[ENTRY_MAX];
		snprintf(entry, sizeof entry, "%.*s", (int)(n < ENTRY_MAX - 1 ? n : ENTRY_MAX - 1),
			 p);
		if (parse_entry(&a, entry, err) < 0)
			return -1;
		p += n;
		if (*p == ',' && !*++p)
			return wm_err_set(err, WM_E_BAD_CONFIG,
					  "socket allow-list \"%s\" ends with a comma", text);
	}
	*allow = a;
	return 0;
}

static bool has_gid(const struct wm_peer_allow *a, gid_t gid)
{
	for (int i = 0; i < a->ngids; i++)
		if (a->gid[i] == gid)
			return true;
	return false;
}

bool wm_peer_allowed(const struct wm_peer_allow *a, uid_t uid, gid_t gid, const gid_t *groups,
		     int ngroups)
{
	if (a->everyone || uid == geteuid() || has_gid(a, gid))
		return true;
	for (int i = 0; i < a->nuids; i++)
		if (a->uid[i] == uid)
			return true;
	for (int i = 0; i < ngroups; i++)
		if (has_gid(a, groups[i]))
			return true;
	return false;
}
