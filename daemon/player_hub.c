/* player_hub.c - player verbs and events between the command table and the
 * JACK client's players (see player_hub.h). Control thread. */
#include "daemon/player_hub.h"

#include <math.h>
#include <stdio.h>

#include "common/log.h"
#include "control/osc.h"
#include "control/sock.h"
#include "daemon/jack_io.h"
#include "daemon/player.h"

static struct wm_players *players_of(struct wm_player_hub *hub, struct wm_err *err)
{
	struct wm_players *p = wm_jack_players(hub->jack);
	if (!p)
		wm_err_set(err, WM_E_UNAVAILABLE,
			   "the JACK server is not running, so neither are the players; "
			   "they return with it");
	return p;
}

static int hub_play(void *arg, int ch, const char *file, bool loop, struct wm_err *err)
{
	struct wm_players *p = players_of(arg, err);
	return p ? wm_players_play(p, ch, file, loop, err) : -1;
}

static int hub_stop(void *arg, int ch, double fade_ms, struct wm_err *err)
{
	struct wm_players *p = players_of(arg, err);
	return p ? wm_players_stop(p, ch, fade_ms, err) : -1;
}

static double ms_round(double s)
{
	return round(s * 1000.0) / 1000.0;
}

static void fill_info(const struct wm_player_info *pi, json_t *out)
{
	json_object_set_new(out, "state", json_string(wm_player_state_name(pi->state)));
	json_object_set_new(out, "file", json_string(pi->file));
	json_object_set_new(out, "loop", json_boolean(pi->loop));
	json_object_set_new(out, "position", json_real(ms_round(pi->position_s)));
	json_object_set_new(out, "length", json_real(ms_round(pi->length_s)));
	json_object_set_new(out, "file_rate", json_integer(pi->file_rate));
	json_object_set_new(out, "file_channels", json_integer(pi->file_channels));
	json_object_set_new(out, "underrun_frames", json_integer((json_int_t)pi->underrun_frames));
	if (pi->state == WM_PLAYER_ERROR)
		json_object_set_new(out, "error", json_string(pi->error));
}

static int hub_info(void *arg, int ch, json_t *out, struct wm_err *err)
{
	struct wm_players *p = players_of(arg, err);
	struct wm_player_info pi;
	if (!p)
		return -1;
	wm_players_get(p, ch, &pi);
	fill_info(&pi, out);
	return 0;
}

struct wm_player_ops wm_player_hub_ops(struct wm_player_hub *hub)
{
	return (struct wm_player_ops){ .play = hub_play, .stop = hub_stop, .info = hub_info,
				       .arg = hub };
}

static const char *event_name(enum wm_player_event_kind kind)
{
	switch (kind) {
	case WM_PLAYER_EV_STARTED:
		return "started";
	case WM_PLAYER_EV_ENDED:
		return "ended";
	case WM_PLAYER_EV_STOPPED:
		return "stopped";
	case WM_PLAYER_EV_UNDERRUN:
		return "underrun";
	case WM_PLAYER_EV_ERROR:
		return "error";
	}
	return "unknown";
}

static void log_event(const struct wm_player_event *ev)
{
	if (ev->kind == WM_PLAYER_EV_UNDERRUN)
		wm_warn("player.underrun", "ch=%d file=\"%s\" frames=%llu msg=\"the disk fell "
			"behind; silence played\"", ev->ch + 1, ev->file,
			(unsigned long long)ev->frames);
	else if (ev->kind == WM_PLAYER_EV_ERROR)
		wm_warn("player.error", "ch=%d file=\"%s\" error=\"%s\"", ev->ch + 1, ev->file,
			ev->message);
	else if (ev->kind == WM_PLAYER_EV_STARTED && ev->late_ms > 0)
		wm_warn("player.late", "ch=%d file=\"%s\" late_ms=%.1f", ev->ch + 1, ev->file,
			ev->late_ms);
	else
		wm_info(ev->kind == WM_PLAYER_EV_STARTED ? "player.started" :
			ev->kind == WM_PLAYER_EV_ENDED ? "player.ended" : "player.stopped",
			"ch=%d file=\"%s\"%s%s%s", ev->ch + 1, ev->file, ev->message[0] ? " msg=\"" : "",
			ev->message, ev->message[0] ? "\"" : "");
}

static json_t *event_json(const struct wm_player_event *ev, const json_t *info)
{
	json_t *j = json_pack("{s:s, s:i, s:s, s:s, s:O}", "event", "player", "ch", ev->ch + 1,
			      "what", event_name(ev->kind), "file", ev->file, "player", info);
	if (ev->kind == WM_PLAYER_EV_STARTED)
		json_object_set_new(j, "late_ms", json_real(round(ev->late_ms * 10) / 10));
	if (ev->kind == WM_PLAYER_EV_UNDERRUN)
		json_object_set_new(j, "frames", json_integer((json_int_t)ev->frames));
	if (ev->message[0])
		json_object_set_new(j, "message", json_string(ev->message));
	return j;
}

void wm_player_hub_drain(struct wm_player_hub *hub)
{
	struct wm_players *p = wm_jack_players(hub->jack);
	struct wm_player_event ev;
	if (!p)
		return;
	while (wm_players_poll(p, &ev)) {
		struct wm_player_info pi;
		json_t *info = json_object();
		log_event(&ev);
		wm_players_get(p, ev.ch, &pi);
		fill_info(&pi, info);
		if (hub->sock && wm_sock_has_subscribers(hub->sock, WM_TOPIC_PLAYERS)) {
			json_t *j = event_json(&ev, info);
			wm_sock_publish(hub->sock, WM_TOPIC_PLAYERS, j);
			json_decref(j);
		}
		if (hub->osc)
			wm_osc_publish_player(hub->osc, ev.ch + 1, info);
		json_decref(info);
	}
}

void wm_player_hub_stats(struct wm_player_hub *hub, json_t *reply)
{
	struct wm_players *p = wm_jack_players(hub->jack);
	struct wm_player_stats st;
	if (!p)
		return;
	wm_players_get_stats(p, &st);
	json_object_set_new(reply, "players",
			    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "plays", (json_int_t)st.plays,
				      "late_starts", (json_int_t)st.late_starts, "underruns",
				      (json_int_t)st.underruns, "underrun_frames",
				      (json_int_t)st.underrun_frames, "read_errors",
				      (json_int_t)st.read_errors, "command_drops",
				      (json_int_t)st.command_drops));
}

void wm_player_hub_health(struct wm_player_hub *hub, json_t *subsystems)
{
	struct wm_players *p = wm_jack_players(hub->jack);
	char detail[128];
	int playing = 0;
	if (!p) {
		json_object_set_new(subsystems, "players",
				    json_pack("{s:s, s:s}", "state", "down", "detail",
					      "waiting for JACK"));
		return;
	}
	struct wm_player_info pi;
	for (int c = 0; c < hub->channels; c++) {
		wm_players_get(p, c, &pi);
		playing += pi.state == WM_PLAYER_PLAYING || pi.state == WM_PLAYER_STARTING;
	}
	snprintf(detail, sizeof detail, "%d playing", playing);
	json_object_set_new(subsystems, "players",
			    json_pack("{s:s, s:s}", "state", "ok", "detail", detail));
}
