/* main.c - washmixd: startup order, the control thread's loop, JACK
 * supervision (reconnect with backoff), health and stats, meters, the
 * service manager's READY/STATUS/WATCHDOG ticks, and an orderly shutdown on SIGINT/SIGTERM (via signalfd, so handlers never run
 * inside arbitrary code). Runs on the main thread, which is the control
 * thread; JACK owns the realtime thread. */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "control/commands.h"
#include "control/loop.h"
#include "control/osc.h"
#include "control/reply.h"
#include "control/sock.h"
#include "control/tree.h"
#include "daemon/activation.h"
#include "daemon/config.h"
#include "daemon/jack_io.h"
#include "daemon/notify.h"
#include "daemon/player.h"
#include "daemon/player_hub.h"
#include "daemon/render_cli.h"
#include "daemon/render_hub.h"
#include "daemon/reload.h"
#include "daemon/test_hooks.h"
#include "engine/engine.h"
#include "presets/scene.h"
#include "presets/store.h"

#define EXIT_UNAVAILABLE 69   /* sysexits EX_UNAVAILABLE: no JACK server */
#define EXIT_SOFTWARE 70
#define EXIT_CONFIG 78        /* sysexits EX_CONFIG */

#define RECONNECT_MIN_MS 50
#define RECONNECT_MAX_MS 1000
#define SUPERVISE_MS 50
#define DEGRADED_WINDOW_MS 60000  /* xruns or drops this recent mean "degraded" */
#define ACTIVATION_GRACE_MS 2000  /* xruns right after we activate are JACK's */
#define LIVE_SAVE_MS 1000         /* the live state is at most this far behind */
#define LIVE_TIMER_MS 100

struct daemon {
	struct wm_config config;
	int argc;                      /* kept for a reload (SIGHUP) */
	char **argv;
	struct wm_loop *loop;
	struct wm_tree *tree;
	struct wm_jack *jack;
	struct wm_sock *sock;
	struct wm_osc *osc;            /* NULL when --osc-port 0 */
	struct wm_notify *notify;      /* sd_notify; a no-op outside systemd */
	struct wm_store *store;
	struct wm_player_hub players;
	struct wm_render_hub render;
	bool live_dirty;               /* changes not yet in live.json */
	int64_t live_saved_ms;         /* last write of live.json */
	struct wm_cmd_env env;
	int signal_fd;
	int64_t started_ms;
	int64_t next_attempt_ms;       /* reconnect */
	int backoff_ms;
	uint64_t seen_xruns;           /* to notice new xruns */
	uint64_t seen_drops;
	int64_t last_trouble_ms;       /* last new xrun or drop */
	int64_t connected_ms;          /* when the JACK client last activated */
	struct wm_meter meters[WM_MAX_CHANNELS + WM_MAX_ZONES];
	bool meter_fresh[WM_MAX_CHANNELS + WM_MAX_ZONES];  /* updated since last publish */
	uint32_t meter_seq;
	uint32_t published_seq;
	bool have_meters;
	char live_error[WM_ERR_MSG_MAX];   /* why the last live.json write failed; "" */
};

static const char *health_status(struct daemon *d, const struct wm_jack_status *js)
{
	if (!js->connected)
		return "down";
	if (d->last_trouble_ms && wm_loop_now_ms() - d->last_trouble_ms < DEGRADED_WINDOW_MS)
		return "degraded";
	return "ok";
}

static json_t *subsystem(const char *state, const char *detail)
{
	return json_pack("{s:s, s:s}", "state", state, "detail", detail);
}

/* The state folder's subsystem: "read_only" or "error" when scenes and the
 * live state cannot be written (one access(2) per health request, so a
 * folder remounted read-only shows at once), else "ok". */
static const char *state_health(struct daemon *d, char *detail, size_t len)
{
	const char *dir = wm_store_dir(d->store);
	if (access(dir, W_OK) != 0) {
		int e = errno;
		snprintf(detail, len, "%s: %s; scene saves and the live state are refused", dir,
			 strerror(e));
		return e == EROFS ? "read_only" : "error";
	}
	if (d->live_error[0]) {
		snprintf(detail, len, "the live state was not saved: %s", d->live_error);
		return "error";
	}
	snprintf(detail, len, "%s", dir);
	return "ok";
}

static void fill_health(void *arg, json_t *r)
{
	struct daemon *d = arg;
	struct wm_jack_status js;
	wm_jack_get_status(d->jack, &js);
	const char *status = health_status(d, &js);
	json_object_set_new(r, "status", json_string(status));
	json_object_set_new(r, "version", json_string(WASHMIX_VERSION));
	json_object_set_new(r, "uptime_s",
			    json_real((double)(wm_loop_now_ms() - d->started_ms) / 1000.0));
	json_t *jack = json_pack("{s:b, s:s}", "connected", js.connected, "server", js.server);
	if (js.connected) {
		json_object_set_new(jack, "client", json_string(js.client));
		json_object_set_new(jack, "sample_rate", json_integer(js.sample_rate));
		json_object_set_new(jack, "period", json_integer(js.period_frames));
		json_object_set_new(jack, "latency_frames", json_integer(js.latency_frames));
		json_object_set_new(jack, "dsp_load", json_real(round(js.dsp_load_pct * 100) / 100));
		json_object_set_new(jack, "engine_load",
				    json_real(round(js.engine_load_pct * 100) / 100));
	} else {
		json_object_set_new(jack, "error", json_string(js.last_error));
	}
	json_object_set_new(jack, "xruns", json_integer((json_int_t)js.xruns));
	json_object_set_new(jack, "reconnects", json_integer((json_int_t)js.reconnects));
	json_object_set_new(r, "jack", jack);

	char detail[WM_ERR_MSG_MAX + 64];
	const struct wm_mix *mix = wm_tree_mix(d->tree);
	json_t *subs = json_object();
	if (js.connected)
		snprintf(detail, sizeof detail, "%u Hz, %u frames, %llu xruns", js.sample_rate,
			 js.period_frames, (unsigned long long)js.xruns);
	else
		snprintf(detail, sizeof detail, "%s; reconnecting", js.last_error);
	json_object_set_new(subs, "jack", subsystem(js.connected ? "ok" : "down", detail));
	snprintf(detail, sizeof detail, "%d channels into %d zones%s", mix->channels, mix->zones,
		 js.connected ? "" : "; not running until JACK returns (state kept)");
	json_object_set_new(subs, "engine", subsystem(js.connected ? "ok" : "down", detail));
	struct wm_sock_stats ss;
	wm_sock_get_stats(d->sock, &ss);
	snprintf(detail, sizeof detail, "%d clients, %d subscribed", ss.clients, ss.subscribers);
	json_object_set_new(subs, "control", subsystem("ok", detail));
	if (d->osc) {
		struct wm_osc_stats os;
		wm_osc_get_stats(d->osc, &os);
		snprintf(detail, sizeof detail, "%s, %d subscribed, %d metering",
			 wm_osc_describe(d->osc), os.subscribers, os.meter_subscribers);
		json_object_set_new(subs, "osc", subsystem("ok", detail));
	} else {
		json_object_set_new(subs, "osc", subsystem("off", "--osc-port 0"));
	}
	wm_player_hub_health(&d->players, subs);
	/* Redis down costs only the cache: degraded, not down. */
	bool degraded = wm_render_hub_health(&d->render, subs);
	const char *state = state_health(d, detail, sizeof detail);
	json_object_set_new(subs, "state", subsystem(state, detail));
	/* A lost cache or an unwritable state folder: degraded, not down. */
	if ((degraded || strcmp(state, "ok") != 0) && strcmp(status, "ok") == 0)
		json_object_set_new(r, "status", json_string("degraded"));
	json_object_set_new(r, "subsystems", subs);
}

static json_t *level_db(float lin);

/* Per zone, the limiter's and the ducking's gain reduction over the last
 * meter interval, in dB (0 = none). */
static void fill_gain_reduction(struct daemon *d, json_t *r)
{
	const struct wm_mix *mix = wm_tree_mix(d->tree);
	if (!d->have_meters)
		return;
	json_t *zones = json_array();
	for (int z = 0; z < mix->zones; z++) {
		const struct wm_meter *m = &d->meters[mix->channels + z];
		json_array_append_new(zones, json_pack("{s:i, s:o, s:o}", "zone", z + 1,
						       "limit_gr_db", level_db(m->limit_gain),
						       "duck_gr_db", level_db(m->duck_gain)));
	}
	json_object_set_new(r, "zones", zones);
}

static void fill_stats(void *arg, json_t *r)
{
	struct daemon *d = arg;
	struct wm_jack_status js;
	wm_jack_get_status(d->jack, &js);
	json_t *jack = json_pack("{s:b, s:I, s:I, s:f, s:f, s:f, s:f}", "connected", js.connected,
				 "xruns", (json_int_t)js.xruns, "reconnects",
				 (json_int_t)js.reconnects, "dsp_load", js.dsp_load_pct,
				 "engine_load", js.engine_load_pct, "engine_load_max",
				 js.engine_load_max_pct, "engine_load_peak",
				 wm_jack_take_peak(d->jack));
	json_object_set_new(r, "jack", jack);
	struct wm_engine *e = wm_jack_engine(d->jack);
	if (e) {
		struct wm_engine_stats es;
		wm_engine_get_stats(e, &es);
		json_object_set_new(r, "engine",
				    json_pack("{s:I, s:I, s:I, s:I, s:I}", "periods",
					      (json_int_t)es.periods, "frames", (json_int_t)es.frames,
					      "commands", (json_int_t)es.commands, "command_drops",
					      (json_int_t)es.command_drops, "meter_drops",
					      (json_int_t)es.meter_drops));
	}
	struct wm_sock_stats ss;
	wm_sock_get_stats(d->sock, &ss);
	json_object_set_new(r, "control",
			    json_pack("{s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
				      "clients", ss.clients, "subscribers", ss.subscribers,
				      "accepted", (json_int_t)ss.accepted, "refused_busy",
				      (json_int_t)ss.refused_busy, "requests",
				      (json_int_t)ss.requests, "errors", (json_int_t)ss.errors,
				      "events_dropped", (json_int_t)ss.events_dropped,
				      "paused", (json_int_t)ss.paused, "refused_allow",
				      (json_int_t)ss.refused_allow, "rate_limited",
				      (json_int_t)ss.rate_limited, "line_timeouts",
				      (json_int_t)ss.line_timeouts));
	if (d->osc) {
		struct wm_osc_stats os;
		wm_osc_get_stats(d->osc, &os);
		json_object_set_new(
			r, "osc",
			json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:i}", "received",
				  (json_int_t)os.received, "malformed", (json_int_t)os.malformed,
				  "rate_limited", (json_int_t)os.rate_limited, "refused_allow",
				  (json_int_t)os.refused_allow, "errors",
				  (json_int_t)os.errors, "errors_suppressed",
				  (json_int_t)os.errors_suppressed, "sent", (json_int_t)os.sent,
				  "send_failures", (json_int_t)os.send_failures, "subscribers",
				  os.subscribers, "meter_subscribers", os.meter_subscribers));
	}
	wm_player_hub_stats(&d->players, r);
	wm_render_hub_stats(&d->render, r);
	fill_gain_reduction(d, r);
}

static void on_change(void *arg, const struct wm_param_ref *ref, const struct wm_value *value,
		      const char *by)
{
	struct daemon *d = arg;
	d->live_dirty = true;
	if (d->osc)
		wm_osc_publish_change(d->osc, ref, value, by);
	if (!d->sock || !wm_sock_has_subscribers(d->sock, WM_TOPIC_CHANGES))
		return;
	json_t *ev = wm_event_change(ref, value, by);
	wm_sock_publish(d->sock, WM_TOPIC_CHANGES, ev);
	json_decref(ev);
}

static void publish_event(void *arg, json_t *event)
{
	struct daemon *d = arg;
	wm_sock_publish(d->sock, WM_TOPIC_CHANGES, event);
	const char *kind = json_string_value(json_object_get(event, "event"));
	const char *action = json_string_value(json_object_get(event, "action"));
	if (d->osc && kind && action && strcmp(kind, "scene") == 0 && strcmp(action, "recall") == 0)
		wm_osc_publish_scene(d->osc, json_string_value(json_object_get(event, "name")));
}

/* Write live.json now; a failure is logged and retried at the next change. */
static void save_live(struct daemon *d)
{
	struct wm_err err = { 0 };
	json_t *scene = wm_scene_from_mix(wm_tree_mix(d->tree), "live");
	char *text = json_dumps(scene, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
	json_decref(scene);
	d->live_saved_ms = wm_loop_now_ms();
	if (text && wm_store_save_live(d->store, text, strlen(text), &err) == 0) {
		d->live_dirty = false;
		d->live_error[0] = '\0';
	} else {
		d->live_dirty = false; /* not in a tight loop: the next change tries again */
		snprintf(d->live_error, sizeof d->live_error, "%s", text ? err.msg : "out of memory");
		wm_error("state.live", "error=\"%s\"", d->live_error);
	}
	free(text);
}

static void persist_live(struct wm_loop *loop, void *arg)
{
	(void)loop;
	struct daemon *d = arg;
	if (d->live_dirty && wm_loop_now_ms() - d->live_saved_ms >= LIVE_SAVE_MS)
		save_live(d);
}

/* Bring back the mix of the last run from live.json, before any engine
 * exists, so the first period already plays it. */
static void restore_live(struct daemon *d, struct wm_mix *mix)
{
	struct wm_err err = { 0 };
	size_t len;
	char *text = wm_store_load_live(d->store, &len, &err);
	if (!text) {
		if (err.code != WM_E_NOT_FOUND)
			wm_error("state.restore", "error=\"%s\" msg=\"starting from defaults\"", err.msg);
		return;
	}
	struct wm_scene scene;
	if (wm_scene_parse(text, len, "live.json", mix, &scene, &err) < 0) {
		char kept[64];
		struct wm_err aside = { 0 };
		free(text);
		if (wm_store_set_aside_live(d->store, kept, sizeof kept, &aside) < 0)
			wm_error("state.restore", "error=\"%s\" also=\"%s\" msg=\"starting from "
				 "defaults\"", err.msg, aside.msg);
		else
			wm_error("state.restore", "error=\"%s\" kept=\"%s\" msg=\"starting from "
				 "defaults\"", err.msg, kept);
		return;
	}
	for (size_t i = 0; i < scene.count; i++)
		wm_param_set(mix, &scene.items[i].ref, &scene.items[i].value);
	for (int i = 0; i < scene.nwarnings; i++)
		wm_warn("state.restore", "msg=\"%s\"", scene.warnings[i]);
	wm_info("state.restored", "file=\"%s/live.json\" settings=%zu", wm_store_dir(d->store),
		scene.count);
	wm_scene_free(&scene);
	free(text);
}

static json_t *level_db(float lin)
{
	if (lin <= 0)
		return json_string("-inf");
	return json_real(round(20.0 * log10(lin) * 100) / 100);
}

static json_t *meter_json(const struct wm_meter *m)
{
	json_t *j = json_pack("{s:i, s:[o,o], s:[o,o]}",
			      m->kind == WM_METER_CHANNEL ? "ch" : "zone", m->index + 1, "peak",
			      level_db(m->peak[0]), level_db(m->peak[1]), "rms",
			      level_db(m->rms[0]), level_db(m->rms[1]));
	if (m->kind == WM_METER_ZONE) {
		json_object_set_new(j, "limit_gr", level_db(m->limit_gain));
		json_object_set_new(j, "duck_gr", level_db(m->duck_gain));
	}
	return j;
}

static void publish_meters(struct daemon *d)
{
	const struct wm_mix *mix = wm_tree_mix(d->tree);
	json_t *chans = json_array(), *zones = json_array();
	for (int i = 0; i < mix->channels + mix->zones; i++) {
		const struct wm_meter *m = &d->meters[i];
		json_array_append_new(m->kind == WM_METER_CHANNEL ? chans : zones, meter_json(m));
	}
	json_t *ev = json_pack("{s:s, s:I, s:o, s:o}", "event", "meters", "seq",
			       (json_int_t)d->meter_seq, "channels", chans, "zones", zones);
	wm_sock_publish(d->sock, WM_TOPIC_METERS, ev);
	json_decref(ev);
}

/* Keep the newest complete sweep; publish it once to meter subscribers. */
static void drain_meters(struct wm_loop *loop, void *arg)
{
	(void)loop;
	struct daemon *d = arg;
	struct wm_engine *e = wm_jack_engine(d->jack);
	if (!e)
		return;
	const struct wm_mix *mix = wm_tree_mix(d->tree);
	struct wm_meter batch[64];
	size_t n;
	while ((n = wm_engine_poll_meters(e, batch, 64)) > 0) {
		for (size_t i = 0; i < n; i++) {
			const struct wm_meter *m = &batch[i];
			int slot = m->kind == WM_METER_CHANNEL ? m->index : mix->channels + m->index;
			if (slot >= mix->channels + mix->zones)
				continue;
			/* Several sweeps may wait: keep their highest peak, the
			 * newest RMS, so no transient is lost between events. */
			struct wm_meter *kept = &d->meters[slot];
			float held[2] = { kept->peak[0], kept->peak[1] };
			float held_gr[2] = { kept->limit_gain, kept->duck_gain };
			*kept = *m;
			for (int side = 0; side < 2 && d->meter_fresh[slot]; side++)
				kept->peak[side] = fmaxf(held[side], m->peak[side]);
			if (d->meter_fresh[slot]) {
				kept->limit_gain = fminf(held_gr[0], m->limit_gain);
				kept->duck_gain = fminf(held_gr[1], m->duck_gain);
			}
			d->meter_fresh[slot] = true;
			d->meter_seq = m->seq;
			d->have_meters = true;
		}
	}
	wm_player_hub_drain(&d->players);
	if (!d->have_meters || d->meter_seq == d->published_seq)
		return;
	if (wm_sock_has_subscribers(d->sock, WM_TOPIC_METERS))
		publish_meters(d);
	if (d->osc && wm_osc_wants_meters(d->osc))
		wm_osc_publish_meters(d->osc, mix->channels, mix->zones, d->meters);
	d->published_seq = d->meter_seq;
	memset(d->meter_fresh, 0, sizeof d->meter_fresh);
}

static void note_trouble(struct daemon *d)
{
	struct wm_jack_status js;
	wm_jack_get_status(d->jack, &js);
	uint64_t drops = 0;
	struct wm_engine *e = wm_jack_engine(d->jack);
	if (e) {
		struct wm_engine_stats es;
		wm_engine_get_stats(e, &es);
		drops = es.command_drops + es.meter_drops;
	}
	/* A player that ran dry was heard as a gap: trouble too. */
	struct wm_players *players = wm_jack_players(d->jack);
	if (players) {
		struct wm_player_stats ps;
		wm_players_get_stats(players, &ps);
		drops += ps.command_drops + ps.underruns;
	}
	if (js.xruns > d->seen_xruns) {
		wm_warn("jack.xrun", "xruns=%llu new=%llu", (unsigned long long)js.xruns,
			(unsigned long long)(js.xruns - d->seen_xruns));
		/* JACK reorders its graph when a client activates, and the
		 * dummy and ALSA drivers often report an xrun for it: counted,
		 * but not a reason to call the system degraded. */
		if (wm_loop_now_ms() - d->connected_ms > ACTIVATION_GRACE_MS)
			d->last_trouble_ms = wm_loop_now_ms();
	}
	if (drops > d->seen_drops) {
		wm_warn("engine.drops", "drops=%llu", (unsigned long long)drops);
		d->last_trouble_ms = wm_loop_now_ms();
	}
	d->seen_xruns = js.xruns;
	d->seen_drops = drops;
}

static void log_connected(struct daemon *d, const char *event)
{
	struct wm_jack_status js;
	wm_jack_get_status(d->jack, &js);
	wm_info(event, "server=%s client=%s rate=%u period=%u", js.server, js.client,
		js.sample_rate, js.period_frames);
}

static void supervise(struct wm_loop *loop, void *arg)
{
	(void)loop;
	struct daemon *d = arg;
	if (wm_jack_connected(d->jack)) {
		note_trouble(d);
		return;
	}
	int64_t now = wm_loop_now_ms();
	if (now < d->next_attempt_ms)
		return;
	struct wm_err err = { 0 };
	if (wm_jack_connect(d->jack, d->tree, true, &err) == 0) {
		log_connected(d, "jack.reconnected");
		d->connected_ms = wm_loop_now_ms();
		d->backoff_ms = RECONNECT_MIN_MS;
		d->seen_drops = 0;
		return;
	}
	wm_debug("jack.retry", "in_ms=%d error=\"%s\"", d->backoff_ms, err.msg);
	d->next_attempt_ms = now + d->backoff_ms;
	d->backoff_ms = d->backoff_ms * 2 < RECONNECT_MAX_MS ? d->backoff_ms * 2 : RECONNECT_MAX_MS;
}

static void on_jack_lost(struct wm_loop *loop, int fd, short revents, void *arg)
{
	(void)loop, (void)fd, (void)revents;
	struct daemon *d = arg;
	if (!wm_jack_connected(d->jack)) {
		wm_jack_ack_lost(d->jack);
		return;
	}
	wm_jack_ack_lost(d->jack);
	wm_warn("jack.lost", "msg=\"JACK server went away; keeping the mix and reconnecting\"");
	wm_jack_disconnect(d->jack, d->tree);
	d->last_trouble_ms = wm_loop_now_ms();
	d->backoff_ms = RECONNECT_MIN_MS;
	d->next_attempt_ms = wm_loop_now_ms();
	d->have_meters = false;
}

/* Put the live-changeable settings of fresh into effect and into the
 * running configuration. */
static bool any_changed(const struct wm_reload_diff *diff, const char *a, const char *b,
			const char *c)
{
	return wm_reload_changed(diff, a) || wm_reload_changed(diff, b) ||
	       wm_reload_changed(diff, c);
}

/* The socket's and OSC's allow-lists and rates; each kept as it was when
 * the server refuses the new one (already checked by the config parser). */
static void apply_access(struct daemon *d, const struct wm_config *fresh,
			 const struct wm_reload_diff *diff)
{
	struct wm_config *c = &d->config;
	struct wm_err err = { 0 };
	if (any_changed(diff, "control.socket_allow", "control.socket_rate",
			"control.socket_burst")) {
		struct wm_sock_access a = { .allow = fresh->socket_allow,
					    .rate = fresh->socket_rate,
					    .burst = fresh->socket_burst };
		if (wm_sock_set_access(d->sock, &a, &err) == 0) {
			memcpy(c->socket_allow, fresh->socket_allow, sizeof c->socket_allow);
			c->socket_rate = fresh->socket_rate;
			c->socket_burst = fresh->socket_burst;
		} else {
			wm_error("config.reload_socket", "error=\"%s\"", err.msg);
		}
	}
	if (d->osc && any_changed(diff, "osc.allow", "osc.rate", "osc.burst")) {
		struct wm_osc_access a = { .allow = fresh->osc_allow, .rate = fresh->osc_rate,
					   .burst = fresh->osc_burst };
		if (wm_osc_set_access(d->osc, &a, &err) == 0) {
			memcpy(c->osc_allow, fresh->osc_allow, sizeof c->osc_allow);
			c->osc_rate = fresh->osc_rate;
			c->osc_burst = fresh->osc_burst;
		} else {
			wm_error("config.reload_osc", "error=\"%s\"", err.msg);
		}
	}
}

static void apply_reload(struct daemon *d, const struct wm_config *fresh,
			 const struct wm_reload_diff *diff)
{
	struct wm_config *c = &d->config;
	apply_access(d, fresh, diff);
	if (wm_reload_changed(diff, "log.level")) {
		c->log_level = fresh->log_level;
		wm_log_set_level(c->log_level);
	}
	if (wm_reload_changed(diff, "render.max_duration_s")) {
		c->render_max_duration_s = fresh->render_max_duration_s;
		d->env.render.max_duration_s = c->render_max_duration_s;
	}
	if (wm_reload_changed(diff, "render.cache_ttl_s") ||
	    wm_reload_changed(diff, "render.cache_max_entry_mb")) {
		c->cache_ttl_s = fresh->cache_ttl_s;
		c->cache_max_entry_mb = fresh->cache_max_entry_mb;
		wm_render_hub_set_cache_limits(&d->render, c->cache_ttl_s,
					       (size_t)c->cache_max_entry_mb << 20);
	}
}

/* SIGHUP: read the configuration again (file, environment, then the same
 * command line, which still wins); apply what can change live, say what
 * needs a restart, keep everything as it was on an error. */
static void reload(struct daemon *d)
{
	struct wm_config *fresh = malloc(sizeof *fresh);
	struct wm_reload_diff *diff = malloc(sizeof *diff);
	struct wm_err err = { 0 };
	char live[1024], restart[1024];

	if (fresh && diff && wm_config_load(fresh, d->argc, d->argv, &err) != WM_CONFIG_RUN) {
		wm_error("config.reload_failed", "error=\"%s\" msg=\"running settings kept\"",
			 err.msg);
	} else if (!fresh || !diff || wm_reload_diff(&d->config, fresh, diff) < 0) {
		wm_error("config.reload_failed", "error=\"out of memory\"");
	} else {
		apply_reload(d, fresh, diff);
		wm_reload_list(diff->live, diff->nlive, live, sizeof live);
		wm_reload_list(diff->restart, diff->nrestart, restart, sizeof restart);
		if (diff->nrestart)
			wm_warn("config.reloaded", "applied=%s needs_restart=%s", live, restart);
		else
			wm_info("config.reloaded", "applied=%s", live);
	}
	free(fresh);
	free(diff);
}

static void status_line(struct daemon *d, char *line, size_t len)
{
	json_t *health = json_object();
	fill_health(d, health);
	wm_notify_status_line(health, line, len);
	json_decref(health);
}

/* STATUS= when it changed, and WATCHDOG=1 while the engine runs (notify.h). */
static void service_tick(struct wm_loop *loop, void *arg)
{
	(void)loop;
	struct daemon *d = arg;
	char line[WM_NOTIFY_STATUS_MAX];
	status_line(d, line, sizeof line);
	wm_notify_tick(d->notify, line, wm_jack_connected(d->jack), wm_jack_heartbeat(d->jack));
}

static void on_signal(struct wm_loop *loop, int fd, short revents, void *arg)
{
	struct daemon *d = arg;
	(void)revents;
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo == SIGHUP) {
			reload(d);
			continue;
		}
		wm_info("daemon.stopping", "signal=%s", strsignal((int)si.ssi_signo));
		wm_loop_stop(loop);
	}
}

static int setup_signals(struct daemon *d)
{
	signal(SIGPIPE, SIG_IGN);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	/* Blocked before any thread starts, so libjack's threads inherit it and
	 * only the signalfd sees these signals. */
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	d->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return d->signal_fd < 0 ? -1 : 0;
}

/* The control socket: systemd's when socket-activated, else bound here. */
static struct wm_sock *open_control_socket(struct daemon *d, struct wm_err *err)
{
	const struct wm_config *c = &d->config;
	char path[108];
	int fd = wm_activation_control_fd(path, sizeof path, err);
	if (fd == -2)
		return NULL;
	if (fd >= 0)
		wm_info("sock.activated", "fd=%d path=\"%s\" msg=\"control socket taken from "
			"systemd\"", fd, path);
	struct wm_sock_config sc = { .path = c->socket_path, .max_clients = c->max_clients,
				     .line_timeout_s = c->line_timeout_s,
				     .mode = c->socket_mode, .listen_fd = fd,
				     .set_group = c->socket_set_group, .group = c->socket_gid,
				     .access = { .allow = c->socket_allow, .rate = c->socket_rate,
						 .burst = c->socket_burst } };
	return wm_sock_create(d->loop, &sc, &d->env, err);
}

static int start(struct daemon *d)
{
	struct wm_err err = { 0 };
	const struct wm_config *c = &d->config;
	struct wm_mix mix;
	wm_mix_init(&mix, c->channels, c->zones, c->mono);
	d->store = wm_store_open(c->state_dir, &err);
	if (!d->store) {
		wm_error("state.unavailable", "error=\"%s\"", err.msg);
		fprintf(stderr, "washmixd: %s\n", err.msg);
		return EXIT_CONFIG;
	}
	if (c->fresh)
		wm_info("state.fresh", "msg=\"starting from the default mix (--fresh)\"");
	else
		restore_live(d, &mix);
	d->loop = wm_loop_create();
	d->tree = wm_tree_create(&mix, c->ramp_ms);
	if (!d->loop || !d->tree || setup_signals(d) < 0) {
		wm_error("daemon.start", "error=\"out of memory or signals: %s\"", strerror(errno));
		return EXIT_SOFTWARE;
	}
	wm_tree_set_listener(d->tree, on_change, d);
	struct wm_jack_config jc = { .server = c->jack_server, .client_name = c->jack_client,
				     .connect_inputs = c->connect_inputs,
				     .connect_outputs = c->connect_outputs,
				     .meter_rate_hz = c->meter_rate_hz,
				     .media_dir = c->media_dir,
				     .player_buffer_ms = c->player_buffer_ms,
				     .media_max_bytes = (long long)c->media_max_mb << 20 };
	d->jack = wm_jack_create(&jc, &err);
	if (!d->jack || wm_jack_connect(d->jack, d->tree, false, &err) < 0) {
		wm_error("jack.unavailable", "error=\"%s\"", err.msg);
		fprintf(stderr, "washmixd: %s\n", err.msg);
		return EXIT_UNAVAILABLE;
	}
	log_connected(d, "jack.connected");
	d->connected_ms = wm_loop_now_ms();
	d->players = (struct wm_player_hub){ .jack = d->jack, .channels = c->channels };
	d->env = (struct wm_cmd_env){ .tree = d->tree, .store = d->store,
				      .status = { .health = fill_health, .stats = fill_stats,
						  .arg = d },
				      .events = { .publish = publish_event, .arg = d },
				      .players = wm_player_hub_ops(&d->players),
				      .render = wm_render_hub_ops(&d->render) };
	if (wm_render_hub_start(&d->render, c, d->loop, &err) < 0) {
		wm_error("render.unavailable", "error=\"%s\"", err.msg);
		fprintf(stderr, "washmixd: %s\n", err.msg);
		return EXIT_CONFIG;
	}
	d->env.render.max_duration_s = c->render_max_duration_s;
	d->env.debug = wm_test_hooks_ops(d->jack);
	d->sock = open_control_socket(d, &err);
	if (!d->sock) {
		wm_error("sock.unavailable", "error=\"%s\"", err.msg);
		fprintf(stderr, "washmixd: %s\n", err.msg);
		return EXIT_CONFIG;
	}
	if (c->osc_port) {
		struct wm_osc_config oc = { .bind = c->osc_bind, .port = c->osc_port,
					    .access = { .allow = c->osc_allow, .rate = c->osc_rate,
							.burst = c->osc_burst } };
		d->osc = wm_osc_create(d->loop, &oc, &d->env, &err);
		if (!d->osc) {
			wm_error("osc.unavailable", "error=\"%s\"", err.msg);
			fprintf(stderr, "washmixd: %s\n", err.msg);
			return EXIT_CONFIG;
		}
		wm_info("osc.listening", "address=\"%s\"", wm_osc_describe(d->osc));
	}
	d->players.sock = d->sock;
	d->players.osc = d->osc;
	d->render.sock = d->sock;
	if (mkdir(c->media_dir, 0750) < 0 && errno != EEXIST)
		wm_warn("media.unavailable", "dir=\"%s\" error=\"%s\" msg=\"play will fail until "
			"the media folder exists\"", c->media_dir, strerror(errno));
	wm_loop_add_fd(d->loop, d->signal_fd, POLLIN, on_signal, d);
	wm_loop_add_fd(d->loop, wm_jack_lost_fd(d->jack), POLLIN, on_jack_lost, d);
	wm_loop_add_timer(d->loop, SUPERVISE_MS, supervise, d);
	wm_loop_add_timer(d->loop, LIVE_TIMER_MS, persist_live, d);
	wm_loop_add_timer(d->loop, (int)(1000.0 / c->meter_rate_hz), drain_meters, d);
	d->backoff_ms = RECONNECT_MIN_MS;
	if (wm_notify_enabled(d->notify)) {
		char line[WM_NOTIFY_STATUS_MAX];
		status_line(d, line, sizeof line);
		wm_notify_ready(d->notify, line);
		wm_loop_add_timer(d->loop, wm_notify_tick_ms(d->notify), service_tick, d);
	}
	wm_info("daemon.ready", "version=%s socket=%s channels=%d zones=%d state=\"%s\" "
		"media=\"%s\"", WASHMIX_VERSION, c->socket_path, c->channels, c->zones,
		c->state_dir, c->media_dir);
	return 0;
}

static void stop(struct daemon *d)
{
	if (d->store && d->tree && d->live_dirty)
		save_live(d);
	wm_render_hub_stop(&d->render);
	wm_osc_destroy(d->osc);
	wm_sock_destroy(d->sock);
	if (d->jack) {
		wm_jack_disconnect(d->jack, d->tree);
		wm_jack_destroy(d->jack);
	}
	wm_tree_destroy(d->tree);
	wm_store_close(d->store);
	wm_loop_destroy(d->loop);
	if (d->signal_fd > 0)
		close(d->signal_fd);
}

int main(int argc, char **argv)
{
	static struct daemon d;
	struct wm_err err = { 0 };
	d.signal_fd = -1;
	d.argc = argc;
	d.argv = argv;
	switch (wm_config_load(&d.config, argc, argv, &err)) {
	case WM_CONFIG_EXIT:
		return 0;
	case WM_CONFIG_ERROR:
		fprintf(stderr, "washmixd: %s\n", err.msg);
		return EXIT_CONFIG;
	case WM_CONFIG_RUN:
		break;
	}
	if (d.config.check_only) {
		wm_config_print(&d.config, stdout);
		return 0;
	}
	if (geteuid() == 0 && !d.config.allow_root) {
		fprintf(stderr, "washmixd: refusing to run as root: a network-facing audio daemon "
				"should run as its own user (e.g. washmix in the audio group); pass "
				"--allow-root (or [daemon] allow_root = yes) to run as root anyway\n");
		return EXIT_CONFIG;
	}
	if (d.config.render_request[0]) {
		wm_log_set_level(d.config.log_level);
		return wm_render_cli(&d.config);
	}
	wm_log_set_level(d.config.log_level);
	d.started_ms = wm_loop_now_ms();
	d.notify = wm_notify_create();
	int status = d.notify ? start(&d) : EXIT_SOFTWARE;
	if (status == 0 && wm_loop_run(d.loop) < 0) {
		wm_error("daemon.loop", "error=\"%s\"", strerror(errno));
		status = EXIT_SOFTWARE;
	}
	if (d.notify)
		wm_notify_stopping(d.notify);
	stop(&d);
	wm_notify_destroy(d.notify);
	if (status == 0)
		wm_info("daemon.stopped", "msg=\"ports unregistered, socket removed\"");
	return status;
}
