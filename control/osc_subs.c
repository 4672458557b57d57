/* osc_subs.c - the OSC subscriber table (control thread). */
#include "control/osc_subs.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static struct wm_osc_sub *find_or_add(struct wm_osc_subs *subs,
				      const struct wm_osc_peer *target, const char *source,
				      int64_t now_ms)
{
	wm_osc_subs_expire(subs, now_ms);
	for (int i = 0; i < subs->count; i++) {
		if (wm_osc_peer_equal(&subs->sub[i].target, target)) {
			snprintf(subs->sub[i].source, sizeof subs->sub[i].source, "%s", source);
			return &subs->sub[i];
		}
	}
	if (subs->count == WM_OSC_MAX_SUBSCRIBERS)
		return NULL;
	struct wm_osc_sub *s = &subs->sub[subs->count++];
	memset(s, 0, sizeof *s);
	s->target = *target;
	snprintf(s->source, sizeof s->source, "%s", source);
	return s;
}

int wm_osc_subs_changes(struct wm_osc_subs *subs, const struct wm_osc_peer *target,
			const char *source, double lease_s, int64_t now_ms)
{
	struct wm_osc_sub *s = find_or_add(subs, target, source, now_ms);
	if (!s)
		return -1;
	s->changes_until_ms = now_ms + (int64_t)(lease_s * 1000.0);
	return 0;
}

int wm_osc_subs_meters(struct wm_osc_subs *subs, const struct wm_osc_peer *target,
		       const char *source, double rate_hz, int64_t now_ms)
{
	struct wm_osc_sub *s = find_or_add(subs, target, source, now_ms);
	if (!s)
		return -1;
	if (!s->meters_until_ms || s->meter_rate_hz != rate_hz)
		s->next_meter_ms = now_ms;
	s->meters_until_ms = now_ms + (int64_t)(WM_OSC_DEFAULT_LEASE_S * 1000.0);
	s->meter_rate_hz = rate_hz;
	return 0;
}

static void drop(struct wm_osc_subs *subs, const struct wm_osc_peer *peer, const char *source,
		 bool meters)
{
	for (int i = 0; i < subs->count; i++) {
		if (!wm_osc_peer_equal(&subs->sub[i].target, peer) &&
		    strcmp(subs->sub[i].source, source) != 0)
			continue;
		if (meters)
			subs->sub[i].meters_until_ms = 0;
		else
			subs->sub[i].changes_until_ms = 0;
	}
}

void wm_osc_subs_drop_changes(struct wm_osc_subs *subs, const struct wm_osc_peer *peer,
			      const char *source)
{
	drop(subs, peer, source, false);
}

void wm_osc_subs_drop_meters(struct wm_osc_subs *subs, const struct wm_osc_peer *peer,
			     const char *source)
{
	drop(subs, peer, source, true);
}

void wm_osc_subs_expire(struct wm_osc_subs *subs, int64_t now_ms)
{
	int j = 0;
	for (int i = 0; i < subs->count; i++) {
		struct wm_osc_sub *s = &subs->sub[i];
		if (s->changes_until_ms && s->changes_until_ms <= now_ms)
			s->changes_until_ms = 0;
		if (s->meters_until_ms && s->meters_until_ms <= now_ms)
			s->meters_until_ms = 0;
		if (s->changes_until_ms || s->meters_until_ms)
			subs->sub[j++] = *s;
	}
	subs->count = j;
}

void wm_osc_subs_count(const struct wm_osc_subs *subs, int64_t now_ms, int *changes,
		       int *meters)
{
	*changes = *meters = 0;
	for (int i = 0; i < subs->count; i++) {
		if (subs->sub[i].changes_until_ms > now_ms)
			(*changes)++;
		if (subs->sub[i].meters_until_ms > now_ms)
			(*meters)++;
	}
}

void wm_osc_subs_send_change(struct wm_osc_subs *subs, struct wm_osc_out *out, int64_t now_ms,
			     const struct wm_param_ref *ref, const struct wm_value *value,
			     const char *by)
{
	for (int i = 0; i < subs->count; i++) {
		const struct wm_osc_sub *s = &subs->sub[i];
		if (s->changes_until_ms > now_ms && strcmp(s->source, by ? by : "") != 0)
			wm_osc_send_value(out, &s->target, ref, value);
	}
}

static float meter_db(float lin)
{
	double db = lin > 0 ? 20.0 * log10(lin) : WM_OSC_METER_FLOOR_DB;
	return (float)(db < WM_OSC_METER_FLOOR_DB ? WM_OSC_METER_FLOOR_DB : db);
}

static void hold_peaks(struct wm_osc_sub *s, int count, const struct wm_meter *meters)
{
	for (int i = 0; i < count; i++) {
		for (int side = 0; side < 2; side++) {
			float p = meters[i].peak[side];
			if (!s->holding || p > s->peak_hold[i][side])
				s->peak_hold[i][side] = p;
		}
	}
	s->holding = true;
}

static lo_message meters_message(const struct wm_osc_sub *s, int channels, int zones,
				 const struct wm_meter *meters)
{
	lo_message msg = lo_message_new();
	if (!msg)
		return NULL;
	lo_message_add_int32(msg, channels);
	lo_message_add_int32(msg, zones);
	for (int c = 0; c < channels; c++) {
		const struct wm_meter *m = &meters[c];
		lo_message_add_float(msg, meter_db(fmaxf(s->peak_hold[c][0], s->peak_hold[c][1])));
		lo_message_add_float(msg, meter_db(fmaxf(m->rms[0], m->rms[1])));
	}
	for (int z = 0; z < zones; z++) {
		const struct wm_meter *m = &meters[channels + z];
		lo_message_add_float(msg, meter_db(s->peak_hold[channels + z][0]));
		lo_message_add_float(msg, meter_db(s->peak_hold[channels + z][1]));
		lo_message_add_float(msg, meter_db(m->rms[0]));
		lo_message_add_float(msg, meter_db(m->rms[1]));
		lo_message_add_float(msg, meter_db(m->limit_gain));
		lo_message_add_float(msg, meter_db(m->duck_gain));
	}
	return msg;
}

void wm_osc_subs_send_meters(struct wm_osc_subs *subs, struct wm_osc_out *out, int64_t now_ms,
			     int channels, int zones, const struct wm_meter *meters)
{
	for (int i = 0; i < subs->count; i++) {
		struct wm_osc_sub *s = &subs->sub[i];
		if (s->meters_until_ms <= now_ms)
			continue;
		hold_peaks(s, channels + zones, meters);
		if (now_ms < s->next_meter_ms)
			continue;
		lo_message msg = meters_message(s, channels, zones, meters);
		if (!msg)
			return;
		wm_osc_send(out, &s->target, "/meters", msg);
		lo_message_free(msg);
		s->holding = false;
		int64_t period_ms = (int64_t)(1000.0 / s->meter_rate_hz);
		s->next_meter_ms += period_ms;
		if (s->next_meter_ms <= now_ms)
			s->next_meter_ms = now_ms + period_ms;
	}
}
