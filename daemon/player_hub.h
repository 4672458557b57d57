/* player_hub.h - the daemon's side of the file players: the command env's
 * player ops (play, stop and info on whatever players the JACK client has
 * now: none while JACK is away), and the players' events, taken on the
 * control thread and sent to socket subscribers (topic "players"), OSC
 * subscribers (/ch/N/player) and the log. Control thread only. */
#ifndef WM_PLAYER_HUB_H
#define WM_PLAYER_HUB_H

#include <jansson.h>

#include "control/commands.h"

struct wm_jack;
struct wm_sock;
struct wm_osc;

struct wm_player_hub {
	struct wm_jack *jack;
	struct wm_sock *sock;          /* may be NULL until created */
	struct wm_osc *osc;            /* NULL when OSC is off */
	int channels;
};

/* Ops for struct wm_cmd_env; they keep a pointer to hub. */
struct wm_player_ops wm_player_hub_ops(struct wm_player_hub *hub);

/* Take every waiting player event and send it on (every meter tick). */
void wm_player_hub_drain(struct wm_player_hub *hub);

/* Add "players" counters to a stats reply, and a subsystem line to health. */
void wm_player_hub_stats(struct wm_player_hub *hub, json_t *reply);
void wm_player_hub_health(struct wm_player_hub *hub, json_t *subsystems);

#endif
