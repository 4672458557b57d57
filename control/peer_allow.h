/* peer_allow.h - who may use the control socket: a list of users and groups
 * ("uid:1000,gid:audio,user:washmix,group:wash") checked against the
 * peer credentials (SO_PEERCRED, SO_PEERGROUPS) of each connection. Names
 * are resolved when the list is parsed. The daemon's own uid is always
 * allowed. Plain values, no allocation; control thread. */
#ifndef WM_PEER_ALLOW_H
#define WM_PEER_ALLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/err.h"

#define WM_PEER_ALLOW_MAX 32        /* users plus groups in one list */
#define WM_PEER_ALLOW_TEXT 512      /* bytes of the list as written */

struct wm_peer_allow {
	bool everyone;              /* no list: the socket's mode decides */
	int nuids, ngids;
	uid_t uid[WM_PEER_ALLOW_MAX];
	gid_t gid[WM_PEER_ALLOW_MAX];
	char text[WM_PEER_ALLOW_TEXT];
};

/* "" = everyone; else entries uid:N|NAME, user:NAME, gid:N|NAME,
 * group:NAME separated by commas. WM_E_BAD_CONFIG for an unknown user or
 * group, a bad entry or too many. */
int wm_peer_allow_parse(const char *text, struct wm_peer_allow *allow, struct wm_err *err);

/* True when the peer's uid, gid or one of its groups is listed, or its uid
 * is the daemon's own (geteuid). */
bool wm_peer_allowed(const struct wm_peer_allow *allow, uid_t uid, gid_t gid,
		     const gid_t *groups, int ngroups);

#endif
