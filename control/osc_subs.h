/* osc_subs.h - OSC subscribers: who gets changes (/subscribe, X32's
 * /xremote) and who gets meters (/meters/subscribe), each on a lease that
 * lapses unless renewed, so a tablet that sleeps or changes address costs
 * nothing. At most WM_OSC_MAX_SUBSCRIBERS targets. Control thread only. */
#ifndef WM_OSC_SUBS_H
#define WM_OSC_SUBS_H

#include <stdbool.h>
#include <stdint.h>

#include "control/osc.h"
#include "control/osc_send.h"
#include "engine/engine.h"

struct wm_osc_sub {
	struct wm_osc_peer target;     /* where feedback goes */
	char source[64];               /* "osc IP:PORT" that subscribed: no echo to it */
	int64_t changes_until_ms;      /* 0 = not subscribed to changes */
	int64_t meters_until_ms;       /* 0 = not subscribed to meters */
	double meter_rate_hz;
	int64_t next_meter_ms;
	/* Highest peak per meter since this subscriber's last /meters: at
	 * 1..10 Hz a transient between two messages must still show. */
	float peak_hold[WM_MAX_CHANNELS + WM_MAX_ZONES][2];
	bool holding;
};

struct wm_osc_subs {
	struct wm_osc_sub sub[WM_OSC_MAX_SUBSCRIBERS];
	int count;
};

/* Subscribe (or renew) target to changes or meters for lease_s seconds.
 * Returns -1 when the table is full. */
int wm_osc_subs_changes(struct wm_osc_subs *subs, const struct wm_osc_peer *target,
			const char *source, double lease_s, int64_t now_ms);
int wm_osc_subs_meters(struct wm_osc_subs *subs, const struct wm_osc_peer *target,
		       const char *source, double rate_hz, int64_t now_ms);

/* End the subscriptions that peer made (whatever reply port it asked
 * for: matched by the subscribing source) or that are sent to peer. */
void wm_osc_subs_drop_changes(struct wm_osc_subs *subs, const struct wm_osc_peer *peer,
			      const char *source);
void wm_osc_subs_drop_meters(struct wm_osc_subs *subs, const struct wm_osc_peer *peer,
			     const char *source);

/* Forget lapsed subscriptions. */
void wm_osc_subs_expire(struct wm_osc_subs *subs, int64_t now_ms);

void wm_osc_subs_count(const struct wm_osc_subs *subs, int64_t now_ms, int *changes,
		       int *meters);

/* Send a change to every live change subscriber except its source. */
void wm_osc_subs_send_change(struct wm_osc_subs *subs, struct wm_osc_out *out, int64_t now_ms,
			     const struct wm_param_ref *ref, const struct wm_value *value,
			     const char *by);

/* Call once per new meter sweep (meters: channels then zones). Every meter
 * subscriber whose rate says it is due gets /meters (see docs/osc.md) with
 * the highest peaks since its last one and the sweep's RMS. */
void wm_osc_subs_send_meters(struct wm_osc_subs *subs, struct wm_osc_out *out, int64_t now_ms,
			     int channels, int zones, const struct wm_meter *meters);

#endif
