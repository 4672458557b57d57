/* check_access.c - who and what washmixd lets in: the control socket's mode
 * and group, its peer-credential allow-list refusing a client that runs as
 * nobody, the OSC source allow-list dropping a second loopback address
 * (127.0.0.2) unanswered while 127.0.0.1 is served, the rate limits of both
 * with their stats counters, the refusal to run as root, symlinks planted
 * in the media and render folders, and the media size limit - for players
 * over the socket and for one-shot renders (washmixd --render).
 *
 * One jackd; a daemon with every limit set low for most tests, and one with
 * the defaults for the OSC default list. The root-only parts (setuid to
 * nobody, running as root without --allow-root) say so and pass when the
 * tests do not run as root. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/daemon_fixture.h"
#include "tests/support/jackd_fixture.h"
#include "tests/support/oscclient.h"
#include "tests/support/sockclient.h"
#include "tests/support/suite.h"

#define NOBODY 65534
#define NOGROUP 65534
#define RATE "50"          /* --osc-rate and --socket-rate of the strict daemon */
#define BURST 20           /* --osc-burst and --socket-burst */

static struct wm_jackd jackd;
static struct wm_daemon wd;
static int osc_port;
static char base[4096], media[4200], renders[4200], state[4200], outside[4200];

static void put(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");
	ck_assert_msg(f != NULL, "create %s: %s", path, strerror(errno));
	ck_assert_int_eq(fwrite(text, 1, len, f), len);
	fclose(f);
}

static void write_wav(const char *path)
{
	static float buf[2 * 4800];
	SF_INFO info = { .samplerate = 48000, .channels = 2,
			 .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16 };
	for (int i = 0; i < 4800; i++)
		buf[2 * i] = buf[2 * i + 1] = (float)((i % 48) - 24) / 100.0f;
	SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
	ck_assert_msg(sf != NULL, "%s: %s", path, sf_strerror(NULL));
	sf_writef_float(sf, buf, 4800);
	sf_close(sf);
}

/* base/media with ok.wav, big.raw (2 MiB, over --media-max-mb 1), esc.wav ->
 * ../outside/secret.wav and outdir -> ../outside; base/renders with
 * away -> ../outside; base/outside/secret.wav. */
static void make_folders(void)
{
	char path[8400];
	snprintf(base, sizeof base, "%.2000s/accessXXXXXX", wm_tmpdir());
	ck_assert_ptr_nonnull(mkdtemp(base));
	snprintf(media, sizeof media, "%s/media", base);
	snprintf(renders, sizeof renders, "%s/renders", base);
	snprintf(state, sizeof state, "%s/state", base);
	snprintf(outside, sizeof outside, "%s/outside", base);
	ck_assert_int_eq(mkdir(media, 0750), 0);
	ck_assert_int_eq(mkdir(renders, 0750), 0);
	ck_assert_int_eq(mkdir(state, 0750), 0);
	ck_assert_int_eq(mkdir(outside, 0750), 0);
	snprintf(path, sizeof path, "%s/ok.wav", media);
	write_wav(path);
	snprintf(path, sizeof path, "%s/secret.wav", outside);
	write_wav(path);
	char *big = calloc(1, 2 << 20);
	ck_assert_ptr_nonnull(big);
	snprintf(path, sizeof path, "%s/big.raw", media);
	put(path, big, 2 << 20);
	free(big);
	snprintf(path, sizeof path, "%s/esc.wav", media);
	ck_assert_int_eq(symlink("../outside/secret.wav", path), 0);
	snprintf(path, sizeof path, "%s/outdir", media);
	ck_assert_int_eq(symlink("../outside", path), 0);
	snprintf(path, sizeof path, "%s/away", renders);
	ck_assert_int_eq(symlink("../outside", path), 0);
}

static void up(void)
{
	char port[16];
	make_folders();
	wm_t_jackd_start(&jackd, wm_tmpdir());
	osc_port = wm_osc_free_port();
	ck_assert(osc_port > 0);
	snprintf(port, sizeof port, "%d", osc_port);
	const char *extra[] = { "--osc-port", port, "--osc-bind", "0.0.0.0", "--osc-allow",
				"127.0.0.1", "--osc-rate", RATE, "--osc-burst", "20",
				"--socket-rate", RATE, "--socket-burst", "20", "--socket-mode",
				"0666", "--socket-group", "nogroup", "--socket-allow", "uid:4242",
				"--media-dir", media, "--media-max-mb", "1", NULL };
	wm_t_daemon_start(&wd, wm_tmpdir(), 2, 1, NULL, extra);
}

static void down(void)
{
	wm_t_daemon_stop(&wd);
	wm_t_jackd_stop(&jackd);
}

static json_t *stats_of(const char *section)
{
	json_t *r = wm_t_assert_ok(wm_t_request1(wd.sock, "stats"), "stats");
	json_t *s = json_incref(json_object_get(r, section));
	json_decref(r);
	ck_assert_msg(s != NULL, "stats has no \"%s\"", section);
	return s;
}

static long long counter(const char *section, const char *name)
{
	json_t *s = stats_of(section);
	json_t *v = json_object_get(s, name);
	ck_assert_msg(json_is_integer(v), "stats %s has no counter %s: %s", section, name,
		      wm_t_json_str(s));
	long long n = json_integer_value(v);
	json_decref(s);
	return n;
}

/* Refusals and limits are no trouble: the control and OSC subsystems stay
 * ok. (The status as a whole may read degraded for an xrun of a loaded
 * machine; that is JACK's, not ours.) */
static void health_ok(const char *after)
{
	json_t *r = wm_t_assert_ok(wm_t_request1(wd.sock, "health"), "health");
	json_t *subs = json_object_get(r, "subsystems");
	const char *status = wm_t_strval(json_object_get(r, "status"));
	ck_assert_msg(strcmp(status, "down") != 0, "health is down %s: %s", after,
		      wm_t_json_str(r));
	for (int i = 0; i < 2; i++) {
		const char *name = i ? "osc" : "control";
		const char *sub = wm_t_strval(json_object_get(json_object_get(subs, name), "state"));
		ck_assert_msg(strcmp(sub, "ok") == 0, "health %s is %s %s: %s", name, sub, after,
			      wm_t_json_str(r));
	}
	json_decref(r);
}

static bool log_has(const struct wm_daemon *d, const char *needle)
{
	char *log = wm_file_read(d->log, NULL);
	bool has = log && strstr(log, needle);
	free(log);
	return has;
}

START_TEST(socket_mode_and_group)
{
	struct stat st;
	ck_assert_int_eq(stat(wd.sock, &st), 0);
	ck_assert_msg((st.st_mode & 0777) == 0666, "socket mode %04o, want 0666",
		      (unsigned)(st.st_mode & 0777));
	ck_assert_msg(st.st_gid == NOGROUP, "socket group %u, want nogroup (%u)",
		      (unsigned)st.st_gid, NOGROUP);
	/* the peer credentials of each connection, logged once at info */
	json_decref(wm_t_assert_ok(wm_t_request1(wd.sock, "ping"), "ping"));
	char want[64];
	snprintf(want, sizeof want, "uid=%u gid=%u", (unsigned)geteuid(), (unsigned)getegid());
	ck_assert_msg(log_has(&wd, "sock.accept") && log_has(&wd, want),
		      "no sock.accept line with %s in the log", want);
}
END_TEST

struct passage {
	int n;
	char dir[16][PATH_MAX];
	mode_t mode[16];
};

static void let_others_through(struct passage *p, const char *dir)
{
	char path[PATH_MAX];
	struct stat st;
	snprintf(path, sizeof path, "%s", dir);
	while (path[0] && p->n < 16) {
		if (stat(path, &st) == 0 && !(st.st_mode & S_IXOTH)) {
			snprintf(p->dir[p->n], PATH_MAX, "%s", path);
			p->mode[p->n++] = st.st_mode & 07777;
			ck_assert_int_eq(chmod(path, (st.st_mode & 07777) | S_IXOTH), 0);
		}
		char *slash = strrchr(path, '/');
		if (!slash)
			break;
		*slash = '\0';             /* the parent; "/" itself ends as "" */
	}
}

static void restore_passage(const struct passage *p)
{
	for (int i = 0; i < p->n; i++)
		chmod(p->dir[i], p->mode[i]);
}

/* In a child that became nobody: connect and read the one line we get. */
static void connect_as_nobody(int report_fd)
{
	char line[1024] = "";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", wd.sock);
	if (setgroups(0, NULL) < 0 || setgid(NOGROUP) < 0 || setuid(NOBODY) < 0) {
		snprintf(line, sizeof line, "cannot become nobody: %s", strerror(errno));
	} else {
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		struct timeval tv = { .tv_sec = 3 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
			snprintf(line, sizeof line, "connect: %s", strerror(errno));
		} else {
			/* Read first: the daemon writes its refusal and closes at
			 * once, so a request written now would meet EPIPE. */
			ssize_t n = read(fd, line, sizeof line - 1);
			line[n > 0 ? n : 0] = '\0';
			if (n < 0)
				snprintf(line, sizeof line, "no line within 3 s: %s", strerror(errno));
			/* then the daemon has closed: the end, not a timeout */
			char more[16];
			ssize_t m = n > 0 ? read(fd, more, sizeof more) : 0;
			if (m != 0)
				snprintf(line, sizeof line, "the connection stayed open (%zd, %s)", m,
					 m < 0 ? strerror(errno) : "more data");
		}
	}
	ssize_t w = write(report_fd, line, strlen(line));
	(void)w;
	_exit(0);
}

START_TEST(peer_allow_list_refuses_nobody)
{
	if (geteuid() != 0) {
		fprintf(stderr, "peer_allow_list_refuses_nobody: skipped: needs root to become "
				"nobody\n");
		return;
	}
	/* nobody must reach the socket file through the private folders: every
	 * folder above it gets o+x for the test (scripts/test's scratch folder
	 * too, a 0700 mktemp), and its mode back afterwards. */
	struct passage passage = { 0 };
	let_others_through(&passage, wd.dir);
	long long before = counter("control", "refused_allow");
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	pid_t pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		connect_as_nobody(fds[1]);
	}
	close(fds[1]);
	char line[1024];
	ssize_t n = 0, r;
	while ((r = read(fds[0], line + n, sizeof line - 1 - (size_t)n)) > 0)
		n += r;
	line[n] = '\0';
	close(fds[0]);
	waitpid(pid, NULL, 0);
	restore_passage(&passage);
	ck_assert_msg(strstr(line, "\"code\":\"permission_denied\""), "nobody got: %s", line);
	ck_assert_msg(strstr(line, "uid 65534") && strstr(line, "allowed: uid:4242") &&
			      strstr(line, "own uid 0"),
		      "the refusal does not say who and what is allowed: %s", line);
	ck_assert_int_eq(counter("control", "refused_allow"), before + 1);
	ck_assert_msg(log_has(&wd, "sock.refused") && log_has(&wd, "uid=65534"),
		      "no sock.refused line for uid 65534 in the log");
	/* the daemon's own uid is let in whatever the list says */
	json_decref(wm_t_assert_ok(wm_t_request1(wd.sock, "ping"), "ping as the daemon's uid"));
	health_ok("after refusing nobody");
}
END_TEST

/* A raw UDP socket bound to addr (port 0) that sends /ping to the daemon. */
static int udp_from(const char *addr)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert(fd >= 0);
	ck_assert_int_eq(inet_pton(AF_INET, addr, &sa.sin_addr), 1);
	ck_assert_msg(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0, "bind %s: %s", addr,
		      strerror(errno));
	return fd;
}

static void send_ping(int fd, int port)
{
	static const char ping[12] = "/ping\0\0\0,\0\0\0";
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	ck_assert_int_eq(sendto(fd, ping, sizeof ping, 0, (struct sockaddr *)&to, sizeof to),
			 (ssize_t)sizeof ping);
}

/* Datagrams that arrive within ms. */
static int replies(int fd, int ms)
{
	char buf[2048];
	int n = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	while (poll(&p, 1, ms) > 0 && recv(fd, buf, sizeof buf, 0) > 0)
		n++;
	return n;
}

START_TEST(osc_allow_list)
{
	ck_assert_msg(log_has(&wd, "osc.loopback_only"),
		      "no warning that a daemon on 0.0.0.0 accepts loopback sources only");
	long long before = counter("osc", "refused_allow");
	int stranger = udp_from("127.0.0.2"), friend = udp_from("127.0.0.1");
	for (int i = 0; i < 5; i++)
		send_ping(stranger, osc_port);
	send_ping(friend, osc_port);
	ck_assert_int_eq(replies(friend, 1000), 1);
	ck_assert_int_eq(replies(stranger, 300), 0);
	ck_assert_int_eq(counter("osc", "refused_allow"), before + 5);
	close(stranger);
	close(friend);
	health_ok("after OSC from outside the allow-list");
}
END_TEST

START_TEST(osc_rate_limit)
{
	long long before = counter("osc", "rate_limited");
	int fd = udp_from("127.0.0.1");
	for (int i = 0; i < 100; i++)
		send_ping(fd, osc_port);
	int got = replies(fd, 1000);
	/* the burst, and what 50/s refills while they arrive */
	ck_assert_msg(got >= BURST && got < 60, "%d of 100 pings answered; want about %d", got,
		      BURST);
	long long limited = counter("osc", "rate_limited") - before;
	fprintf(stderr, "osc_rate_limit: 100 pings at once, --osc-rate %s --osc-burst %d: %d "
			"answered, %lld counted rate_limited\n", RATE, BURST, got, limited);
	ck_assert_msg(limited == 100 - got, "%lld counted rate_limited, %d unanswered", limited,
		      100 - got);
	close(fd);
	health_ok("after an OSC burst");
}
END_TEST

START_TEST(socket_rate_limit)
{
	struct wm_client *c = wm_client_connect(wd.sock, 2000);
	char lines[100 * 5 + 1] = "";
	int ok = 0, limited = 0;
	long long before = counter("control", "rate_limited");
	ck_assert(c != NULL);
	for (int i = 0; i < 100; i++)
		strcat(lines, "ping\n");
	ck_assert_int_eq(wm_client_send_raw(c, lines, strlen(lines)), 0);
	for (int i = 0; i < 100; i++) {
		json_t *r = wm_client_read_reply(c, 2000, NULL, NULL);
		ck_assert_msg(r != NULL, "reply %d of 100 missing", i + 1);
		if (json_is_true(json_object_get(r, "ok"))) {
			ok++;
		} else {
			ck_assert_str_eq(wm_t_error_code(r), "rate_limited");
			ck_assert_msg(strstr(wm_t_json_str(r), "more than 50 requests a second"),
				      "%s", wm_t_json_str(r));
			limited++;
		}
		json_decref(r);
	}
	fprintf(stderr, "socket_rate_limit: 100 pipelined pings, --socket-rate %s "
			"--socket-burst %d: %d ok, %d rate_limited\n", RATE, BURST, ok, limited);
	ck_assert_msg(ok >= BURST && ok < 60, "%d of 100 pipelined pings answered ok", ok);
	ck_assert_int_eq(counter("control", "rate_limited") - before, limited);
	/* the budget refills: after a pause the connection is served again */
	usleep(200 * 1000);
	json_decref(wm_t_assert_ok(wm_t_request(c, "ping"), "ping after a pause"));
	wm_client_close(c);
	health_ok("after a socket burst");
}
END_TEST

START_TEST(player_confined_and_limited)
{
	struct wm_client *c = wm_client_connect(wd.sock, 2000);
	ck_assert(c != NULL);
	json_t *r = wm_t_err(c, "bad_path", "play 1 esc.wav");
	ck_assert_msg(strstr(wm_t_json_str(r), "esc.wav"), "%s", wm_t_json_str(r));
	json_decref(r);
	json_decref(wm_t_err(c, "bad_path", "play 1 outdir/secret.wav"));
	r = wm_t_err(c, "too_big", "play 1 big.raw");
	ck_assert_msg(strstr(wm_t_json_str(r), "2.0 MiB") && strstr(wm_t_json_str(r), "1 MiB"),
		      "%s", wm_t_json_str(r));
	json_decref(r);
	wm_t_ok(c, "play 1 ok.wav");
	wm_client_close(c);
}
END_TEST

/* washmixd --render with request JSON; the first line of its output. */
static int render(const char *request, const char *flags, char *out, size_t size)
{
	char path[4300], cmd[32768];
	snprintf(path, sizeof path, "%s/request.json", base);
	put(path, request, strlen(request));
	snprintf(cmd, sizeof cmd,
		 "'%s' %s --state-dir '%s' --media-dir '%s' --render-dir '%s' --redis none "
		 "%s --render '%s' 2>&1",
		 wm_daemon_binary(), wm_t_root_flag(), state, media, renders, flags, path);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	size_t n = fread(out, 1, size - 1, p);
	out[n] = '\0';
	int status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(render_confined_and_limited)
{
	char out[8192];
	ck_assert_int_eq(render("{\"inputs\":{\"1\":\"esc.wav\"},\"loudness\":null,"
				"\"output\":{\"file\":\"a.wav\"}}", "", out, sizeof out), 1);
	ck_assert_msg(strstr(out, "\"code\":\"bad_path\"") && strstr(out, "esc.wav"), "%s", out);
	ck_assert_int_eq(render("{\"inputs\":{\"1\":\"ok.wav\"},\"loudness\":null,"
				"\"output\":{\"file\":\"away/b.wav\"}}", "", out, sizeof out), 1);
	ck_assert_msg(strstr(out, "\"code\":\"bad_path\"") && strstr(out, "away"), "%s", out);
	char leaked[4300];
	snprintf(leaked, sizeof leaked, "%s/b.wav", outside);
	ck_assert_msg(access(leaked, F_OK) != 0, "the render wrote %s outside its folder", leaked);
	ck_assert_int_eq(render("{\"inputs\":{\"1\":\"big.raw\"},\"loudness\":null,"
				"\"output\":{\"file\":\"c.wav\"}}", "--media-max-mb 1", out,
				sizeof out), 1);
	ck_assert_msg(strstr(out, "\"code\":\"too_big\"") && strstr(out, "big.raw"), "%s", out);
	/* the same files pass where they are allowed */
	ck_assert_int_eq(render("{\"inputs\":{\"1\":\"ok.wav\"},\"loudness\":null,"
				"\"output\":{\"file\":\"d.wav\"}}", "--media-max-mb 1", out,
				sizeof out), 0);
}
END_TEST

START_TEST(refuses_root)
{
	if (geteuid() != 0) {
		fprintf(stderr, "refuses_root: skipped: the tests do not run as root\n");
		return;
	}
	char sock[4300], out[4400], perr[256];
	snprintf(sock, sizeof sock, "%s/root.sock", base);
	snprintf(out, sizeof out, "%s/root.out", base);
	for (int i = 0; i < 2; i++) {
		const char *argv[] = { wm_daemon_binary(), "--socket", sock, "--state-dir", state,
				       "--osc-port", "0", i ? "--render" : NULL, "/nonexistent.json",
				       NULL };
		struct wm_proc *p = wm_proc_spawn(argv, NULL, out, out, perr, sizeof perr);
		int status = -1;
		ck_assert_msg(p != NULL, "%s", perr);
		if (wm_proc_wait(p, 5000, &status) < 0) {
			wm_proc_stop(p, SIGTERM, 5000, NULL);
			wm_proc_release(p);
			ck_abort_msg("washmixd%s ran as root without --allow-root",
				     i ? " --render" : "");
		}
		wm_proc_release(p);
		char *text = wm_file_read(out, NULL);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 78,
			      "as root without --allow-root: status 0x%x, want exit 78: %s", status,
			      text);
		ck_assert_msg(text && strstr(text, "refusing to run as root") &&
				      strstr(text, "--allow-root"),
			      "unclear message: %s", text);
		free(text);
	}
}
END_TEST

/* Defaults: OSC on loopback, every loopback source (127.0.0.2 too) served,
 * no warning. */
START_TEST(osc_default_allow_list)
{
	struct wm_daemon d2;
	int port = wm_t_osc_daemon_start(&d2, wm_tmpdir(), 1, 1, NULL);
	int other = udp_from("127.0.0.2");
	send_ping(other, port);
	ck_assert_int_eq(replies(other, 1000), 1);
	close(other);
	ck_assert_msg(!log_has(&d2, "osc.loopback_only"), "a loopback daemon warned");
	ck_assert_msg(log_has(&d2, "address=\"udp 127.0.0.1:"), "OSC is not on 127.0.0.1");
	wm_t_daemon_stop(&d2);
}
END_TEST

/* SIGHUP: the OSC allow-list from the config file changes live: a source
 * dropped before the reload is answered after it. */
START_TEST(osc_allow_list_reloads)
{
	struct wm_daemon d2;
	char conf[4300], flag[4400], port[16];
	int p = wm_osc_free_port();
	snprintf(conf, sizeof conf, "%s/access-reload.ini", base);
	put(conf, "[osc]\nallow = 127.0.0.1\n", strlen("[osc]\nallow = 127.0.0.1\n"));
	snprintf(flag, sizeof flag, "--config=%s", conf);
	snprintf(port, sizeof port, "%d", p);
	const char *extra[] = { flag, "--osc-port", port, NULL };
	wm_t_daemon_start(&d2, wm_tmpdir(), 1, 1, NULL, extra);
	int other = udp_from("127.0.0.2");
	send_ping(other, p);
	ck_assert_int_eq(replies(other, 300), 0);
	put(conf, "[osc]\nallow = 127.0.0.0/8\n", strlen("[osc]\nallow = 127.0.0.0/8\n"));
	ck_assert_int_eq(kill(d2.proc->pid, SIGHUP), 0);
	bool answered = false;
	for (int i = 0; i < 50 && !answered; i++) {
		send_ping(other, p);
		answered = replies(other, 100) > 0;
	}
	close(other);
	ck_assert_msg(log_has(&d2, "applied=osc.allow"), "no reload line for osc.allow");
	ck_assert_msg(answered, "127.0.0.2 still dropped after the reload");
	wm_t_daemon_stop(&d2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("access");
	TCase *tc = tcase_create("core");
	tcase_add_unchecked_fixture(tc, up, down);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, socket_mode_and_group);
	tcase_add_test(tc, peer_allow_list_refuses_nobody);
	tcase_add_test(tc, osc_allow_list);
	tcase_add_test(tc, osc_rate_limit);
	tcase_add_test(tc, socket_rate_limit);
	tcase_add_test(tc, player_confined_and_limited);
	tcase_add_test(tc, render_confined_and_limited);
	tcase_add_test(tc, refuses_root);
	tcase_add_test(tc, osc_default_allow_list);
	tcase_add_test(tc, osc_allow_list_reloads);
	suite_add_tcase(s, tc);
	return wm_t_run_suite(s);
}
