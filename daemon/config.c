/* config.c - settings table and the three readers (INI via inih, environment,
 * getopt_long). Main thread, before startup. Every bad value is refused with
 * the setting's name, where it came from, and what is allowed. */
#include "daemon/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <ini.h>
#include <math.h>
#include <pwd.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/cidr.h"
#include "control/osc.h"
#include "control/peer_allow.h"
#include "control/sock.h"
#include "control/socket_path.h"
#include "daemon/player.h"
#include "render/jobs.h"

typedef int (*setter_fn)(struct wm_config *c, const char *value, struct wm_err *err);

struct setting {
	const char *section, *key;      /* INI */
	const char *flag;               /* --flag */
	const char *env;                /* environment variable or NULL */
	const char *arg;                /* placeholder for --help */
	setter_fn set;
	const char *help;
};

static int parse_int(const char *v, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (end == v || *end || errno || n < lo || n > hi)
		return -1;
	*out = n;
	return 0;
}

static int parse_double(const char *v, double lo, double hi, double *out)
{
	char *end;
	double d = strtod(v, &end);
	if (end == v || *end || !isfinite(d) || d < lo || d > hi)
		return -1;
	*out = d;
	return 0;
}

static int copy_string(char *dst, size_t cap, const char *v, const char *what,
		       struct wm_err *err)
{
	if (strlen(v) >= cap)
		return wm_err_set(err, WM_E_BAD_CONFIG, "%s is %zu bytes long; the limit is %zu",
				  what, strlen(v), cap - 1);
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int set_channels(struct wm_config *c, const char *v, struct wm_err *err)
{
	long n;
	if (parse_int(v, 1, WM_MAX_CHANNELS, &n) < 0)
		return wm_err_set(err, WM_E_BAD_CONFIG, "channels must be 1..%d; got \"%s\"",
				  WM_MAX_CHANNELS, v);
	c->channels = (int)n;
	return 0;
}

static int set_zones(struct wm_config *c, const char *v, struct wm_err *err)
{
	long n;
	if (parse_int(v, 1, WM_MAX_ZONES, &n) < 0)
		return wm_err_set(err, WM_E_BAD_CONFIG, "zones must be 1..%d; got \"%s\"",
				  WM_MAX_ZONES, v);
	c->zones = (int)n;
	return 0;
}

/* "3,5-7" -> channels 3, 5, 6, 7 are mono; "" or "none" -> all stereo. */
static int set_mono(struct wm_config *c, const char *v, struct wm_err *err)
{
	bool mono[WM_MAX_CHANNELS] = { false };
	const char *p = v;
	if (strcmp(v, "none") == 0)
		p = "";
	while (*p) {
		char *end;
		long a = strtol(p, &end, 10), b = a;
		if (end == p)
			goto bad;
		if (*end == '-') {
			const char *q = end + 1;
			b = strtol(q, &end, 10);
			if (end == q)
				goto bad;
		}
		if (a < 1 || b < a || b > WM_MAX_CHANNELS)
			goto bad;
		for (long i = a; i <= b; i++)
			mono[i - 1] = true;
		if (*end == ',')
			end++;
		else if (*end)
			goto bad;
		p = end;
	}
	memcpy(c->mono, mono, sizeof mono);
	return 0;
bad:
	return wm_err_set(err, WM_E_BAD_CONFIG,
			  "mono wants a list of channel numbers and ranges such as \"3,5-7\" "
			  "(1..%d); got \"%s\"",
			  WM_MAX_CHANNELS, v);
}

static int set_ramp(struct wm_config *c, const char *v, struct wm_err *err)
{
	if (parse_double(v, 0, 10000, &c->ramp_ms) < 0)
		return wm_err_set(err, WM_E_BAD_CONFIG, "ramp_ms must be 0..10000 ms; got \"%s\"", v);
	return 0;
}

static int set_meter_rate(struct wm_config *c, const char *v, struct wm_err *err)
{
	if (parse_double(v, 1, 30, &c->meter_rate_hz) < 0)
		return wm_err_set(err, WM_E_BAD_CONFIG, "meter_rate_hz must be 1..30; got \"%s\"", v);
	return 0;
}

static int set_jack_server(struct wm_config *c, const char *v, struct wm_err *err)
{
	return copy_string(c->jack_server, sizeof c->jack_server, v, "jack server name", err);
}

static int set_jack_client(struct wm_config *c, const char *v, struct wm_err *err)
{
	if (!*v || strchr(v, ':'))
		return wm_err_set(err, WM_E_BAD_CONFIG,
				  "client_name must be non-empty and without ':'; got \"%s\"", v);
	return copy_string(c->jack_client, sizeof c->jack_client, v, "jack client name", err);
}

static int check_regex(const char *v, const char *what, struct wm_err *err)
{
	regex_t re;
	int r = regcomp(&re, v, REG_EXTENDED | REG_NOSUB);
	if (r != 0) {
		char why[128];
		regerror(r, &re, why, sizeof why);
		return wm_err_set(err, WM_E_BAD_CONFIG, "%s is not a valid regular expression (%s): %s",
				  what, why, v);
	}
	regfree(&re);
	return 0;
}

static int set_connect_inputs(struct wm_config *c, const char *v, struct wm_err *err)
{
	if (*v && check_regex(v, "connect_inputs", err) < 0)
		return -1;
	return copy_string(c->connect_inputs, sizeof c->connect_inputs, v, "connect_inputs", err);
}

static int set_connect_outputs(struct wm_config *c, const char *v, struct wm_err *err)
{
	if (*v && check_regex(v, "connect_outputs", err) < 0)
		return -1;
	return copy_string(c->connect_outputs, sizeof c->connect_outputs, v, "connect_outputs",
			   err);
}

static int set_socket(struct wm_config *c, const char *v, struct wm_err *err)
{
	if (!*v)
		return wm_err_set(err, WM_E_BAD_CONFIG, "socket path is empty");
	return copy_string(c->socket_path, sizeof c->socket_path, v, "socket path", err);
}

static int set_max_clients(struct wm_config *c, const char *v, struct wm_err *err)
{
	long n;
	if (parse_int(v, 1, 4096, &n) < 0)
		return wm_err_set(err, WM_E_BAD_CONFIG, "max_clients must be 1..4096; got \"%s\"", v);
	c->max_clients = (int)n;
	return 0;
}

static int set_socket_mode(struct wm_config *c, const char *v, struct wm_err *err)
{
	char *end;
	unsigned long m = strtoul(v, &end, 8);
	if (end == v || *end || m > 0777 || !(m & 0600))
		return wm_err_set(err, WM_E_BAD_CONFIG,
				  "socket_mode wants octal permissions such as 0660 (owner must "
				  "have read and write); got \"%s\"",
				  v);
	c->socket_mode = (mode_t)m;
	return 0;
}

static int set_int_in(int *dst, const char *name, long lo, long hi, const char *unit,
		      const char *v, struct wm_err *err);

static int set_socket_group(struct wm_config *c, const char *v, struct wm_err *err)
{
	long n;
	const struct group *gr = NULL;
	c->socket_set_group = false;
	if (!*v)
		return copy_string(c->socket_group, sizeof c->socket_group, v, "socket group", err);
	if (parse_int(v, 0, 0x7fffffffL, &n) == 0) {
		c->socket_gid = (gid_t)n;
	} else if ((gr = getgrnam(v)) != NULL) {
		c->socket_gid = gr->gr_gid;
	} else {
		return wm_err_set(err, WM_E_BAD_CONFIG,
				  "socket_group: there is no group \"%s\" on this system; give an "
				  "existing group name or a numeric gid",
				  v);
	}
	c->socket_set_group = true;
	return copy_string(c->socket_group, sizeof c->socket_group, v, "socket group", err);
}

static int set_socket_allow(struct wm_config *c, const char *v, struct wm_err *err)
{
	struct wm_peer_allow allow;
	if (wm_peer_allow_parse(v, &allow, err) < 0)
		return -1;
	return copy_string(c->socket_allow, sizeof c->socket_allow, v, "socket allow-list", err);
}

/* A request rate: 0 (unlimited) or more, per second. */
static int set_rate(double *dst, const char *name, const char *v, struct wm_err *err)
{
	if (parse_double(v, 0, 1e6, dst) < 0)
		return wm_err_set(err, WM_E_BAD_CONFIG,
				  "%s must be 0 (unlimited)..1000000 per second; got \"%s\"", name, v);
	return 0;
}

static int set_burst(double *dst, const char *name, const char *v, struct wm_err *err)
{
	if (parse_double(v, 1, 1e6, dst) < 0)
		return wm_err_set(err, WM_E_BAD_CONFIG, "%s must be 1..1000000; got \"%s\"", name, v);
	return 0;
}

static int set_socket_rate(struct wm_config *c, const char *v, struct wm_err *err)
{
	return set_rate(&c->socket_rate, "socket_rate", v, err);
}

static int set_socket_burst(struct wm_config *c, const char *v, struct wm_err *err)
{
	return set_burst(&c->socket_burst, "socket_burst", v, err);
}

static int set_osc_allow(struct wm_config *c, const char *v, struct wm_err *err)
{
	struct wm_cidr_list list;
	if (wm_cidr_parse_list(v, &list, err) < 0) {
		struct wm_err inner = *err;
		return wm_err_set(err, WM_E_BAD_CONFIG, "osc allow: %s", inner.msg);
	}
	return copy_string(c->osc_allow, sizeof c->osc_allow, v, "osc allow-list", err);
}

static int set_osc_rate(struct wm_config *c, const char *v, struct wm_err *err)
{
	return set_rate(&c->osc_rate, "osc rate", v, err);
}

static int set_osc_burst(struct wm_config *c, const char *v, struct wm_err *err)
{
	return set_burst(&c->osc_burst, "osc burst", v, err);
}

static int set_media_max_mb(struct wm_config *c, const char *v, struct wm_err *err)
{
	return set_int_in(&c->media_max_mb, "media max_mb", 1, 1048576, " MiB", v, err);
}

static int set_allow_root(struct wm_config *c, const char *v, struct wm_err *err)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
		c->allow_root = true;
	else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
		c->allow_root = false;
	else
		return wm_err_set(err, WM_E_BAD_CONFIG,
				  "allow_root must be yes or no (true/false, 1/0); got \"%s\"", v);
	return 0;
}

static int set_osc_port(struct wm_config *c, const char *v, struct wm_err *err)
{
	long n;
	if (parse_int(v, 0, 65535, &n) < 0)
		return wm_err_set(err, WM_E_BAD_CONFIG,
				  "OSC port must be 0 (off) or 1..65535; got \"%s\"", v);
	c->osc_port = (int)n;
	return 0;
}

static int set_osc_bind(struct wm_config *c, const char *v, struct wm_err *err)
{
	unsigned char buf[16];
	if (inet_pton(AF_INET, v, buf) != 1 && inet_pton(AF_INET6, v, buf) != 1)
		return wm_err_set(err, WM_E_BAD_CONFIG,
				  "osc bind wants an IPv4 or IPv6 address such as 127.0.0.1; got \"%s\"",
				  v);
	return copy_string(c->osc_bind, sizeof c->osc_bind, v, "osc bind address", err);
}

static int set_redis(struct wm_config *c, const char *v, struct wm_err *err)
{
	long port;
	const char *colon = strrchr(v, ':');
	bool ok = strcmp(v, "none") == 0 || (strncmp(v, "unix:", 5) == 0 && v[5]) ||
		  (colon && colon != v && parse_int(colon + 1, 1, 65535, &port) == 0);
	if (!ok)
		return wm_err_set(err, WM_E_BAD_CONFIG,
				  "redis wants HOST:PORT, unix:PATH or none; got \"%s\"", v);
	return copy_string(c->redis, sizeof c->redis, v, "redis address", err);
}

static int set_state_dir(struct wm_config *c, const char *v, struct wm_err *err)
{
	if (!*v)
		return wm_err_set(err, WM_E_BAD_CONFIG, "state folder path is empty");
	return copy_string(c->state_dir, sizeof c->state_dir, v, "state folder path", err);
}

static int set_media_dir(struct wm_config *c, const char *v, struct wm_err *err)
{
	if (!*v)
		return wm_err_set(err, WM_E_BAD_CONFIG, "media folder path is empty");
	return copy_string(c->media_dir, sizeof c->media_dir, v, "media folder path", err);
}

static int set_render_dir(struct wm_config *c, const char *v, struct wm_err *err)
{
	if (!*v)
		return wm_err_set(err, WM_E_BAD_CONFIG, "render folder path is empty");
	return copy_string(c->render_dir, sizeof c->render_dir, v, "render folder path", err);
}

/* An integer setting in lo..hi, refused with its INI name. */
static int set_int_in(int *dst, const char *name, long lo, long hi, const char *unit,
		      const char *v, struct wm_err *err)
{
	long n;
	if (parse_int(v, lo, hi, &n) < 0)
		return wm_err_set(err, WM_E_BAD_CONFIG, "%s must be %ld..%ld%s; got \"%s\"", name, lo,
				  hi, unit, v);
	*dst = (int)n;
	return 0;
}

static int set_line_timeout(struct wm_config *c, const char *v, struct wm_err *err)
{
	return set_int_in(&c->line_timeout_s, "control line_timeout_s", 1,
			  WM_SOCK_LINE_TIMEOUT_MAX_S, " seconds", v, err);
}

static int set_render_workers(struct wm_config *c, const char *v, struct wm_err *err)
{
	return set_int_in(&c->render_workers, "render workers", 1, WM_JOBS_WORKERS_MAX, "", v, err);
}

static int set_render_queue(struct wm_config *c, const char *v, struct wm_err *err)
{
	return set_int_in(&c->render_queue, "render queue", 1, WM_JOBS_QUEUE_MAX, " jobs", v, err);
}

static int set_render_max_duration(struct wm_config *c, const char *v, struct wm_err *err)
{
	return set_int_in(&c->render_max_duration_s, "render max_duration_s", 1, 24L * 3600, " s",
			  v, err);
}

static int set_cache_ttl(struct wm_config *c, const char *v, struct wm_err *err)
{
	return set_int_in(&c->cache_ttl_s, "cache_ttl_s", 1, 30L * 86400, " s", v, err);
}

static int set_cache_max_entry(struct wm_config *c, const char *v, struct wm_err *err)
{
	return set_int_in(&c->cache_max_entry_mb, "cache_max_entry_mb", 1, 512, " MiB", v, err);
}

static int set_cache_timeout(struct wm_config *c, const char *v, struct wm_err *err)
{
	return set_int_in(&c->cache_timeout_ms, "cache_timeout_ms", 10, 10000, " ms", v, err);
}

static int set_player_buffer(struct wm_config *c, const char *v, struct wm_err *err)
{
	if (parse_double(v, WM_PLAYER_BUFFER_MS_MIN, WM_PLAYER_BUFFER_MS_MAX,
			 &c->player_buffer_ms) < 0)
		return wm_err_set(err, WM_E_BAD_CONFIG,
				  "player_buffer_ms must be %g..%g ms; got \"%s\"",
				  WM_PLAYER_BUFFER_MS_MIN, WM_PLAYER_BUFFER_MS_MAX, v);
	return 0;
}

static int set_log_level(struct wm_config *c, const char *v, struct wm_err *err)
{
	if (wm_log_level_parse(v, &c->log_level) < 0)
		return wm_err_set(err, WM_E_BAD_CONFIG,
				  "log level must be debug, info, warn or error; got \"%s\"", v);
	return 0;
}

static const struct setting settings[] = {
	{ "mix", "channels", "channels", NULL, "N", set_channels,
	  "input channels (default 8)" },
	{ "mix", "zones", "zones", NULL, "Z", set_zones, "output zones (default 2)" },
	{ "mix", "mono", "mono", NULL, "LIST", set_mono,
	  "channels with one input port, e.g. 3,5-7 (default: all stereo)" },
	{ "mix", "ramp_ms", "ramp-ms", NULL, "MS", set_ramp,
	  "default gain ramp in ms (default 20)" },
	{ "mix", "meter_rate_hz", "meter-rate", NULL, "HZ", set_meter_rate,
	  "meter updates per second, 1..30 (default 30)" },
	{ "jack", "server", "jack-server", "JACK_DEFAULT_SERVER", "NAME", set_jack_server,
	  "JACK server name (default: libjack's default)" },
	{ "jack", "client_name", "jack-client", NULL, "NAME", set_jack_client,
	  "JACK client name (default washmix)" },
	{ "jack", "connect_inputs", "connect-inputs", NULL, "REGEX", set_connect_inputs,
	  "connect matching source ports, in order, to ch1_L, ch1_R, ..." },
	{ "jack", "connect_outputs", "connect-outputs", NULL, "REGEX", set_connect_outputs,
	  "connect zone1_L, zone1_R, ... in order to matching destination ports" },
	{ "control", "socket", "socket", "WASHMIX_SOCKET", "PATH", set_socket,
	  "control socket path" },
	{ "control", "max_clients", "max-clients", NULL, "N", set_max_clients,
	  "simultaneous socket clients (default 256)" },
	{ "control", "socket_mode", "socket-mode", NULL, "OCTAL", set_socket_mode,
	  "control socket permissions (default 0660)" },
	{ "control", "socket_group", "socket-group", NULL, "NAME|GID", set_socket_group,
	  "group of the control socket file (default: the daemon's group)" },
	{ "control", "socket_allow", "socket-allow", NULL, "LIST", set_socket_allow,
	  "who may connect, e.g. uid:1000,gid:audio,user:washmix (default: anyone the "
	  "socket mode lets in)" },
	{ "control", "socket_rate", "socket-rate", NULL, "N", set_socket_rate,
	  "requests per second per connection, 0 = unlimited (default 5000)" },
	{ "control", "socket_burst", "socket-burst", NULL, "N", set_socket_burst,
	  "requests a connection may send at once (default 20000)" },
	{ "control", "line_timeout_s", "line-timeout", NULL, "S", set_line_timeout,
	  "seconds a request line may take from its first byte to its newline, 1..3600 "
	  "(default 10)" },
	{ "osc", "port", "osc-port", "PORT", "PORT", set_osc_port,
	  "OSC UDP port, 0 = off (default 9000)" },
	{ "osc", "bind", "osc-bind", NULL, "ADDR", set_osc_bind,
	  "OSC bind address (default 127.0.0.1)" },
	{ "osc", "allow", "osc-allow", NULL, "CIDR,...", set_osc_allow,
	  "OSC source networks let in (default 127.0.0.0/8,::1)" },
	{ "osc", "rate", "osc-rate", NULL, "N", set_osc_rate,
	  "OSC messages per second per source, 0 = unlimited (default 2000)" },
	{ "osc", "burst", "osc-burst", NULL, "N", set_osc_burst,
	  "OSC messages a source may send at once (default 4000)" },
	{ "redis", "address", "redis", NULL, "ADDR", set_redis,
	  "render cache: HOST:PORT, unix:PATH or none (default localhost:6379)" },
	{ "state", "dir", "state-dir", NULL, "DIR", set_state_dir,
	  "scenes and live state (default $STATE_DIRECTORY or ~/.local/state/washmixd)" },
	{ "media", "dir", "media-dir", NULL, "DIR", set_media_dir,
	  "files the players may play (default STATE_DIR/media)" },
	{ "media", "player_buffer_ms", "player-buffer-ms", NULL, "MS", set_player_buffer,
	  "audio read ahead per channel player, 100..10000 ms (default 1000)" },
	{ "media", "max_mb", "media-max-mb", NULL, "MB", set_media_max_mb,
	  "largest media file players and renders open, MiB (default 4096)" },
	{ "render", "dir", "render-dir", NULL, "DIR", set_render_dir,
	  "where renders are written (default STATE_DIR/renders)" },
	{ "render", "workers", "render-workers", NULL, "N", set_render_workers,
	  "render worker threads, at idle priority (default 1)" },
	{ "render", "queue", "render-queue", NULL, "N", set_render_queue,
	  "render jobs that may wait; more are refused busy (default 16)" },
	{ "render", "max_duration_s", "render-max-duration", NULL, "S", set_render_max_duration,
	  "longest render, in seconds of output, 1..86400 (default 14400: 4 h)" },
	{ "render", "cache_ttl_s", "cache-ttl", NULL, "S", set_cache_ttl,
	  "how long a cached render is kept, in seconds (default 3600)" },
	{ "render", "cache_max_entry_mb", "cache-max-entry-mb", NULL, "MB", set_cache_max_entry,
	  "larger outputs are not cached, MiB (default 64)" },
	{ "render", "cache_timeout_ms", "cache-timeout-ms", NULL, "MS", set_cache_timeout,
	  "longest wait for one Redis call (default 200)" },
	{ "log", "level", "log-level", "LOG_LEVEL", "LEVEL", set_log_level,
	  "debug, info, warn or error (default info)" },
	{ "daemon", "allow_root", "allow-root", NULL, "", set_allow_root,
	  "run even as root (=no undoes it; default: refuse, exit 78)" },
};
#define NSETTINGS (sizeof settings / sizeof settings[0])

/* systemd's StateDirectory= (first of a colon list), else the XDG place. */
static void default_state_dir(char *buf, size_t len)
{
	const char *dir = getenv("STATE_DIRECTORY");
	if (dir && *dir) {
		int n = (int)strcspn(dir, ":");
		snprintf(buf, len, "%.*s", n, dir);
		return;
	}
	const char *home = getenv("HOME");
	if (!home || !*home) {
		const struct passwd *pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : "/tmp";
	}
	snprintf(buf, len, "%s/.local/state/washmixd", home);
}

static void set_defaults(struct wm_config *c)
{
	memset(c, 0, sizeof *c);
	c->channels = WM_DEFAULT_CHANNELS;
	c->zones = WM_DEFAULT_ZONES;
	c->ramp_ms = 20;
	c->meter_rate_hz = 30;
	strcpy(c->jack_client, "washmix");
	wm_default_socket_path(c->socket_path, sizeof c->socket_path);
	c->max_clients = 256;
	c->socket_mode = 0660;
	c->socket_rate = WM_SOCK_RATE_DEFAULT;
	c->socket_burst = WM_SOCK_BURST_DEFAULT;
	c->line_timeout_s = WM_SOCK_LINE_TIMEOUT_DEFAULT_S;
	c->osc_rate = WM_OSC_RATE_PER_S;
	c->osc_burst = WM_OSC_BURST;
	c->media_max_mb = 4096;
	c->osc_port = 9000;
	strcpy(c->osc_bind, "127.0.0.1");
	strcpy(c->redis, "localhost:6379");
	c->render_workers = WM_JOBS_WORKERS_DEFAULT;
	c->render_queue = WM_JOBS_QUEUE_DEFAULT;
	c->render_max_duration_s = (int)WM_RENDER_MAX_DURATION_S_DEFAULT;
	c->cache_ttl_s = WM_CACHE_TTL_S_DEFAULT;
	c->cache_max_entry_mb = (int)(WM_CACHE_MAX_ENTRY_DEFAULT >> 20);
	c->cache_timeout_ms = WM_CACHE_TIMEOUT_MS_DEFAULT;
	c->log_level = WM_LOG_INFO;
	default_state_dir(c->state_dir, sizeof c->state_dir);
	c->player_buffer_ms = WM_PLAYER_BUFFER_MS_DEFAULT;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: washmixd [OPTIONS]\n"
		   "Real-time mixing daemon for car wash sound systems (a JACK client).\n\n"
		   "  --config FILE      read settings from an INI file (see washmixd(8))\n"
		   "  --check-config     validate the settings, print them, and exit\n"
		   "  --version          print the version and exit\n"
		   "  --fresh            start from the default mix, not the saved live state\n"
		   "  --render FILE      render the request in FILE (\"-\": stdin) without JACK,\n"
		   "                     print the result as one JSON line, and exit\n");
	for (size_t i = 0; i < NSETTINGS; i++) {
		char left[48];
		snprintf(left, sizeof left, "--%s %s", settings[i].flag, settings[i].arg);
		fprintf(f, "  %-18s %s", left, settings[i].help);
		if (settings[i].env)
			fprintf(f, " [env %s]", settings[i].env);
		fputc('\n', f);
	}
	fprintf(f, "Precedence: defaults < config file < environment < flags.\n"
		   "Environment: REDIS_HOST and REDIS_PORT also set the render cache address.\n");
}

struct ini_state {
	struct wm_config *config;
	struct wm_err *err;
	bool failed;
};

static int ini_entry(void *user, const char *section, const char *key, const char *value)
{
	struct ini_state *st = user;
	if (st->failed)
		return 0;
	for (size_t i = 0; i < NSETTINGS; i++) {
		if (strcmp(section, settings[i].section) != 0 || strcmp(key, settings[i].key) != 0)
			continue;
		if (settings[i].set(st->config, value, st->err) == 0)
			return 1;
		st->failed = true;
		return 0;
	}
	wm_err_set(st->err, WM_E_BAD_CONFIG, "unknown setting [%s] %s", section, key);
	st->failed = true;
	return 0;
}

static int load_file(struct wm_config *c, const char *path, struct wm_err *err)
{
	struct ini_state st = { .config = c, .err = err };
	int line = ini_parse(path, ini_entry, &st);
	if (line == -1)
		return wm_err_set(err, WM_E_BAD_CONFIG, "cannot open config file %s: %s", path,
				  strerror(errno));
	if (line == -2)
		return wm_err_set(err, WM_E_BAD_CONFIG, "out of memory reading %s", path);
	if (line > 0) {
		struct wm_err inner = *err;
		if (st.failed)
			return wm_err_set(err, WM_E_BAD_CONFIG, "%s line %d: %s", path, line,
					  inner.msg);
		return wm_err_set(err, WM_E_BAD_CONFIG,
				  "%s line %d: not INI syntax (want [section] or key = value)", path,
				  line);
	}
	return 0;
}

static int load_env(struct wm_config *c, struct wm_err *err)
{
	for (size_t i = 0; i < NSETTINGS; i++) {
		const char *v = settings[i].env ? getenv(settings[i].env) : NULL;
		if (!v || !*v)
			continue;
		if (settings[i].set(c, v, err) < 0) {
			struct wm_err inner = *err;
			return wm_err_set(err, WM_E_BAD_CONFIG, "environment %s: %s", settings[i].env,
					  inner.msg);
		}
	}
	const char *host = getenv("REDIS_HOST"), *port = getenv("REDIS_PORT");
	if ((host && *host) || (port && *port)) {
		char addr[300];
		snprintf(addr, sizeof addr, "%s:%s", host && *host ? host : "localhost",
			 port && *port ? port : "6379");
		if (set_redis(c, addr, err) < 0) {
			struct wm_err inner = *err;
			return wm_err_set(err, WM_E_BAD_CONFIG, "environment REDIS_HOST/REDIS_PORT: %s",
					  inner.msg);
		}
	}
	return 0;
}

enum { OPT_CONFIG = 1000, OPT_CHECK, OPT_VERSION, OPT_HELP, OPT_FRESH, OPT_RENDER };

static void build_options(struct option *opts)
{
	size_t n = 0;
	for (size_t i = 0; i < NSETTINGS; i++)
		opts[n++] = (struct option){ settings[i].flag,
					     settings[i].set == set_allow_root ? optional_argument
									       : required_argument,
					     NULL, (int)i };
	opts[n++] = (struct option){ "config", required_argument, NULL, OPT_CONFIG };
	opts[n++] = (struct option){ "check-config", no_argument, NULL, OPT_CHECK };
	opts[n++] = (struct option){ "version", no_argument, NULL, OPT_VERSION };
	opts[n++] = (struct option){ "help", no_argument, NULL, OPT_HELP };
	opts[n++] = (struct option){ "fresh", no_argument, NULL, OPT_FRESH };
	opts[n++] = (struct option){ "render", required_argument, NULL, OPT_RENDER };
	opts[n] = (struct option){ NULL, 0, NULL, 0 };
}

/* The channel list may name channels beyond the count only by mistake. */
static int check_consistency(const struct wm_config *c, struct wm_err *err)
{
	for (int i = c->channels; i < WM_MAX_CHANNELS; i++)
		if (c->mono[i])
			return wm_err_set(err, WM_E_BAD_CONFIG,
					  "mono names channel %d but there are only %d channels", i + 1,
					  c->channels);
	return 0;
}

enum wm_config_outcome wm_config_load(struct wm_config *c, int argc, char **argv,
				      struct wm_err *err)
{
	struct option opts[NSETTINGS + 7];
	build_options(opts);
	set_defaults(c);

	/* Pass 1: only --config, --help, --version, --check-config. */
	opterr = 0;
	optind = 0;
	int o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == OPT_HELP) {
			usage(stdout);
			return WM_CONFIG_EXIT;
		} else if (o == OPT_VERSION) {
			printf("washmixd %s\n", WASHMIX_VERSION);
			return WM_CONFIG_EXIT;
		} else if (o == OPT_CONFIG) {
			if (copy_string(c->config_file, sizeof c->config_file, optarg, "config path",
					err) < 0)
				return WM_CONFIG_ERROR;
		} else if (o == OPT_CHECK) {
			c->check_only = true;
		}
	}
	if (c->config_file[0] && load_file(c, c->config_file, err) < 0)
		return WM_CONFIG_ERROR;
	if (load_env(c, err) < 0)
		return WM_CONFIG_ERROR;

	/* Pass 2: every other flag, over file and environment. */
	optind = 0;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == '?')
			return wm_err_set(err, WM_E_BAD_CONFIG,
					  "unknown or incomplete option \"%s\"; see washmixd --help",
					  argv[optind - 1]),
			       WM_CONFIG_ERROR;
		/* Only --allow-root's argument is optional: alone, it means yes. */
		const char *arg = optarg ? optarg : "yes";
		if (o == OPT_FRESH)
			c->fresh = true;
		if (o == OPT_RENDER &&
		    copy_string(c->render_request, sizeof c->render_request, arg,
				"render request path", err) < 0)
			return WM_CONFIG_ERROR;
		if (o >= 0 && (size_t)o < NSETTINGS) {
			if (settings[o].set(c, arg, err) < 0) {
				struct wm_err inner = *err;
				wm_err_set(err, WM_E_BAD_CONFIG, "--%s: %s", settings[o].flag,
					   inner.msg);
				return WM_CONFIG_ERROR;
			}
		}
	}
	if (optind < argc)
		return wm_err_set(err, WM_E_BAD_CONFIG, "unexpected argument \"%s\"; see --help",
				  argv[optind]),
		       WM_CONFIG_ERROR;
	if (check_consistency(c, err) < 0)
		return WM_CONFIG_ERROR;
	if (!c->media_dir[0] &&
	    snprintf(c->media_dir, sizeof c->media_dir, "%s/media", c->state_dir) >=
		    (int)sizeof c->media_dir)
		return wm_err_set(err, WM_E_BAD_CONFIG, "state folder path is too long"),
		       WM_CONFIG_ERROR;
	if (!c->render_dir[0] &&
	    snprintf(c->render_dir, sizeof c->render_dir, "%s/renders", c->state_dir) >=
		    (int)sizeof c->render_dir)
		return wm_err_set(err, WM_E_BAD_CONFIG, "state folder path is too long"),
		       WM_CONFIG_ERROR;
	return WM_CONFIG_RUN;
}

static void print_mono(const struct wm_config *c, FILE *out)
{
	bool any = false;
	for (int i = 0; i < c->channels; i++) {
		if (!c->mono[i])
			continue;
		fprintf(out, "%s%d", any ? "," : "", i + 1);
		any = true;
	}
	if (!any)
		fputs("none", out);
}

void wm_config_print(const struct wm_config *c, FILE *out)
{
	fprintf(out, "; effective washmixd settings%s%s\n", c->config_file[0] ? " from " : "",
		c->config_file);
	fprintf(out, "[mix]\nchannels = %d\nzones = %d\nmono = ", c->channels, c->zones);
	print_mono(c, out);
	fprintf(out, "\nramp_ms = %g\nmeter_rate_hz = %g\n", c->ramp_ms, c->meter_rate_hz);
	fprintf(out, "[jack]\nserver = %s\nclient_name = %s\nconnect_inputs = %s\n"
		     "connect_outputs = %s\n",
		c->jack_server, c->jack_client, c->connect_inputs, c->connect_outputs);
	fprintf(out, "[control]\nsocket = %s\nmax_clients = %d\nsocket_mode = %04o\n"
		     "socket_group = %s\nsocket_allow = %s\nsocket_rate = %g\nsocket_burst = %g\n"
		     "line_timeout_s = %d\n",
		c->socket_path, c->max_clients, (unsigned)c->socket_mode, c->socket_group,
		c->socket_allow, c->socket_rate, c->socket_burst, c->line_timeout_s);
	fprintf(out, "[osc]\nport = %d\nbind = %s\nallow = %s\nrate = %g\nburst = %g\n",
		c->osc_port, c->osc_bind, c->osc_allow[0] ? c->osc_allow : WM_OSC_ALLOW_DEFAULT,
		c->osc_rate, c->osc_burst);
	fprintf(out, "[redis]\naddress = %s\n", c->redis);
	fprintf(out, "[state]\ndir = %s\n", c->state_dir);
	fprintf(out, "[media]\ndir = %s\nplayer_buffer_ms = %g\nmax_mb = %d\n", c->media_dir,
		c->player_buffer_ms, c->media_max_mb);
	fprintf(out, "[render]\ndir = %s\nworkers = %d\nqueue = %d\nmax_duration_s = %d\n"
		     "cache_ttl_s = %d\ncache_max_entry_mb = %d\ncache_timeout_ms = %d\n",
		c->render_dir, c->render_workers, c->render_queue, c->render_max_duration_s,
		c->cache_ttl_s,
		c->cache_max_entry_mb, c->cache_timeout_ms);
	fprintf(out, "[log]\nlevel = %s\n", wm_log_level_name(c->log_level));
	fprintf(out, "[daemon]\nallow_root = %s\n", c->allow_root ? "yes" : "no");
}
