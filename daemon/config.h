/* config.h - washmixd's settings from three sources, later ones winning:
 * defaults < INI file (--config) < environment < command-line flags. One
 * table lists every setting with its INI key, flag, environment variable and
 * help, so the three sources and --help cannot disagree. Main thread only,
 * before anything starts. */
#ifndef WM_CONFIG_H
#define WM_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "common/err.h"
#include "common/log.h"
#include "engine/mix.h"

struct wm_config {
	int channels;
	int zones;
	bool mono[WM_MAX_CHANNELS];
	double ramp_ms;                 /* default gain ramp */
	double meter_rate_hz;
	char jack_server[64];           /* "" = libjack's default ($JACK_DEFAULT_SERVER) */
	char jack_client[64];
	char connect_inputs[256];       /* regex of source ports, "" = none */
	char connect_outputs[256];      /* regex of destination ports, "" = none */
	char socket_path[108];
	int max_clients;
	mode_t socket_mode;
	char socket_group[64];          /* "" = the daemon's group; else a name or gid */
	bool socket_set_group;
	gid_t socket_gid;               /* socket_group resolved */
	char socket_allow[512];         /* peer allow-list (control/peer_allow.h), "" = all */
	double socket_rate;             /* requests per second per connection, 0 = unlimited */
	double socket_burst;
	int line_timeout_s;             /* a request line must end this soon after its start */
	int osc_port;                   /* 0 = off; used by the OSC server */
	char osc_bind[64];
	char osc_allow[1024];           /* source networks; "" = loopback only */
	double osc_rate;                /* messages per second per source, 0 = unlimited */
	double osc_burst;
	char redis[256];                /* host:port | unix:PATH | none; render cache */
	char state_dir[PATH_MAX];       /* scenes/ and live.json */
	bool fresh;                     /* --fresh: ignore live.json at start */
	char media_dir[PATH_MAX];       /* player files; default STATE_DIR/media */
	double player_buffer_ms;        /* read-ahead per channel player */
	int media_max_mb;               /* larger media files are refused */
	char render_dir[PATH_MAX];      /* render outputs; default STATE_DIR/renders */
	int render_workers;             /* render worker threads */
	int render_queue;               /* render jobs that may wait */
	int render_max_duration_s;      /* longest render a request may ask for */
	int cache_ttl_s;                /* render cache entries live this long */
	int cache_max_entry_mb;         /* larger outputs are not cached */
	int cache_timeout_ms;           /* per Redis call */
	char render_request[PATH_MAX];  /* --render FILE ("-" = stdin): one-shot mode */
	enum wm_log_level log_level;
	bool allow_root;                /* run even with euid 0 */
	char config_file[PATH_MAX];     /* "" when none */
	bool check_only;                /* --check-config */
};

enum wm_config_outcome {
	WM_CONFIG_RUN,                  /* start the daemon */
	WM_CONFIG_EXIT,                 /* --help or --version printed; exit 0 */
	WM_CONFIG_ERROR,                /* err says what; exit with EX_CONFIG */
};

enum wm_config_outcome wm_config_load(struct wm_config *config, int argc, char **argv,
				      struct wm_err *err);

/* The effective settings as an INI file that --config accepts. */
void wm_config_print(const struct wm_config *config, FILE *out);

#endif
