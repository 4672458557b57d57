/* check_config.c - washmixd settings: defaults, INI file, environment, flags,
 * their precedence, and a clear refusal of every bad value. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"

#include "tests/support/suite.h"

static char ini_path[64];

static void setup(void)
{
	unsetenv("LOG_LEVEL");
	unsetenv("PORT");
	unsetenv("REDIS_HOST");
	unsetenv("REDIS_PORT");
	unsetenv("JACK_DEFAULT_SERVER");
	unsetenv("WASHMIX_SOCKET");
	snprintf(ini_path, sizeof ini_path, "/tmp/wm-config-%d.ini", (int)getpid());
}

static void teardown(void)
{
	unlink(ini_path);
}

static void write_ini(const char *text)
{
	FILE *f = fopen(ini_path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static enum wm_config_outcome load(struct wm_config *c, struct wm_err *err, int argc, ...)
{
	char *argv[32] = { "washmixd" };
	va_list ap;
	va_start(ap, argc);
	for (int i = 0; i < argc; i++)
		argv[i + 1] = va_arg(ap, char *);
	va_end(ap);
	return wm_config_load(c, argc + 1, argv, err);
}

START_TEST(defaults)
{
	struct wm_config c;
	struct wm_err err;
	ck_assert_int_eq(load(&c, &err, 0), WM_CONFIG_RUN);
	ck_assert_int_eq(c.channels, 8);
	ck_assert_int_eq(c.zones, 2);
	ck_assert(!c.mono[0]);
	ck_assert_int_eq(c.osc_port, 9000);
	ck_assert_str_eq(c.osc_bind, "127.0.0.1");
	ck_assert_str_eq(c.redis, "localhost:6379");
	ck_assert_str_eq(c.jack_client, "washmix");
	ck_assert_int_eq(c.log_level, WM_LOG_INFO);
	ck_assert_int_eq(c.socket_mode, 0660);
	ck_assert(c.ramp_ms == 20);
}
END_TEST

START_TEST(precedence_file_env_flags)
{
	write_ini("; comment\n[mix]\nchannels = 16\nzones = 4\nmono = 3,5-7\n"
		  "[log]\nlevel = warn\n[osc]\nport = 8000\n");
	struct wm_config c;
	struct wm_err err;
	setenv("LOG_LEVEL", "debug", 1);
	setenv("PORT", "7000", 1);
	setenv("REDIS_HOST", "cache.local", 1);
	setenv("REDIS_PORT", "6380", 1);
	ck_assert_int_eq(load(&c, &err, 4, "--config", ini_path, "--zones", "3"), WM_CONFIG_RUN);
	ck_assert_int_eq(c.channels, 16);        /* file */
	ck_assert_int_eq(c.zones, 3);            /* flag over file */
	ck_assert(c.mono[2] && c.mono[4] && c.mono[5] && c.mono[6]);
	ck_assert(!c.mono[3] && !c.mono[7]);
	ck_assert_int_eq(c.log_level, WM_LOG_DEBUG); /* env over file */
	ck_assert_int_eq(c.osc_port, 7000);          /* env over file */
	ck_assert_str_eq(c.redis, "cache.local:6380");
	ck_assert_int_eq(load(&c, &err, 4, "--config", ini_path, "--log-level", "error"),
			 WM_CONFIG_RUN);
	ck_assert_int_eq(c.log_level, WM_LOG_ERROR); /* flag over env */
}
END_TEST

static void expect_bad(const char *needle, int argc, char *a, char *b)
{
	struct wm_config c;
	struct wm_err err = { 0 };
	enum wm_config_outcome o = argc == 2 ? load(&c, &err, 2, a, b) : load(&c, &err, 1, a);
	ck_assert_int_eq(o, WM_CONFIG_ERROR);
	ck_assert_msg(strstr(err.msg, needle), "\"%s\" lacks \"%s\"", err.msg, needle);
}

START_TEST(bad_flags)
{
	expect_bad("channels must be 1..256", 2, "--channels", "0");
	expect_bad("channels must be 1..256", 2, "--channels", "many");
	expect_bad("zones must be 1..32", 2, "--zones", "33");
	expect_bad("mono wants a list", 2, "--mono", "3-a");
	expect_bad("only 8 channels", 2, "--mono", "9");
	expect_bad("log level must be", 2, "--log-level", "loud");
	expect_bad("OSC port", 2, "--osc-port", "70000");
	expect_bad("IPv4 or IPv6", 2, "--osc-bind", "localhost:1");
	expect_bad("HOST:PORT", 2, "--redis", "nowhere");
	expect_bad("socket_mode", 2, "--socket-mode", "999");
	expect_bad("regular expression", 2, "--connect-inputs", "system:(");
	expect_bad("unknown or incomplete option", 1, "--frobnicate", NULL);
	expect_bad("unexpected argument", 1, "stray", NULL);
}
END_TEST

/* The access-control settings: defaults, names resolved, mistakes refused. */
START_TEST(access_settings)
{
	struct wm_config c;
	struct wm_err err;
	ck_assert_int_eq(load(&c, &err, 0), WM_CONFIG_RUN);
	ck_assert(!c.allow_root && !c.socket_set_group);
	ck_assert_str_eq(c.socket_allow, "");
	ck_assert_str_eq(c.osc_allow, "");
	ck_assert(c.socket_rate == 5000 && c.socket_burst == 20000);
	ck_assert(c.osc_rate == 2000 && c.osc_burst == 4000);
	ck_assert_int_eq(c.media_max_mb, 4096);
	ck_assert_int_eq(c.line_timeout_s, 10);
	ck_assert_int_eq(load(&c, &err, 2, "--line-timeout", "3600"), WM_CONFIG_RUN);
	ck_assert_int_eq(c.line_timeout_s, 3600);
	ck_assert_int_eq(load(&c, &err, 13, "--allow-root", "--socket-group", "nogroup",
			      "--socket-allow", "uid:1000,gid:audio,user:nobody", "--osc-allow",
			      "192.168.1.0/24,fd00::/8", "--osc-rate", "0", "--socket-burst", "7",
			      "--media-max-mb", "12"),
			 WM_CONFIG_RUN);
	ck_assert(c.allow_root && c.socket_set_group);
	ck_assert_int_eq(c.socket_gid, 65534);
	ck_assert(c.osc_rate == 0 && c.socket_burst == 7);
	ck_assert_int_eq(c.media_max_mb, 12);
	ck_assert_int_eq(load(&c, &err, 1, "--allow-root=no"), WM_CONFIG_RUN);
	ck_assert(!c.allow_root);
	write_ini("[daemon]\nallow_root = yes\n[control]\nsocket_group = 0\n");
	ck_assert_int_eq(load(&c, &err, 2, "--config", ini_path), WM_CONFIG_RUN);
	ck_assert(c.allow_root && c.socket_set_group && c.socket_gid == 0);
}
END_TEST

START_TEST(bad_access_settings)
{
	expect_bad("no group \"wm-no-such-group\"", 2, "--socket-group", "wm-no-such-group");
	expect_bad("no user \"wm-no-such-user\"", 2, "--socket-allow", "user:wm-no-such-user");
	expect_bad("no group \"wm-nogrp\"", 2, "--socket-allow", "uid:0,gid:wm-nogrp");
	expect_bad("write uid:N", 2, "--socket-allow", "root");
	expect_bad("ends with a comma", 2, "--socket-allow", "uid:0,");
	expect_bad("not an IPv4 or IPv6 network", 2, "--osc-allow", "lan");
	expect_bad("bits set below its /24", 2, "--osc-allow", "192.168.1.7/24");
	expect_bad("prefix must be 0..32", 2, "--osc-allow", "10.0.0.0/33");
	expect_bad("empty entry", 2, "--osc-allow", "127.0.0.1,,::1");
	expect_bad("osc rate must be 0 (unlimited)", 2, "--osc-rate", "-1");
	expect_bad("socket_burst must be 1..", 2, "--socket-burst", "0");
	expect_bad("media max_mb must be 1..1048576", 2, "--media-max-mb", "0");
	expect_bad("control line_timeout_s must be 1..3600 seconds", 2, "--line-timeout", "0");
	expect_bad("control line_timeout_s must be 1..3600 seconds", 2, "--line-timeout", "3601");
	expect_bad("allow_root must be yes or no", 1, "--allow-root=maybe", NULL);
}
END_TEST

START_TEST(bad_file)
{
	struct wm_config c;
	struct wm_err err;
	write_ini("[mix]\nchannels = 8\nbogus = 1\n");
	ck_assert_int_eq(load(&c, &err, 2, "--config", ini_path), WM_CONFIG_ERROR);
	ck_assert_msg(strstr(err.msg, "line 3") && strstr(err.msg, "unknown setting [mix] bogus"),
		      "%s", err.msg);
	write_ini("[mix]\nzones = 0\n");
	ck_assert_int_eq(load(&c, &err, 2, "--config", ini_path), WM_CONFIG_ERROR);
	ck_assert_msg(strstr(err.msg, "line 2") && strstr(err.msg, "zones must be"), "%s",
		      err.msg);
	ck_assert_int_eq(load(&c, &err, 2, "--config", "/nonexistent/wm.ini"), WM_CONFIG_ERROR);
	ck_assert_msg(strstr(err.msg, "cannot open config file"), "%s", err.msg);
	setenv("LOG_LEVEL", "shouty", 1);
	ck_assert_int_eq(load(&c, &err, 0), WM_CONFIG_ERROR);
	ck_assert_msg(strstr(err.msg, "environment LOG_LEVEL"), "%s", err.msg);
}
END_TEST

START_TEST(printed_config_reloads_identically)
{
	struct wm_config a, b;
	struct wm_err err;
	ck_assert_int_eq(load(&a, &err, 6, "--channels", "12", "--mono", "1,4-5",
			      "--connect-inputs", "^system:capture_"),
			 WM_CONFIG_RUN);
	FILE *f = fopen(ini_path, "w");
	wm_config_print(&a, f);
	fclose(f);
	ck_assert_int_eq(load(&b, &err, 2, "--config", ini_path), WM_CONFIG_RUN);
	ck_assert_int_eq(b.channels, 12);
	ck_assert(memcmp(a.mono, b.mono, sizeof a.mono) == 0);
	ck_assert_str_eq(b.connect_inputs, "^system:capture_");
	ck_assert_str_eq(b.socket_path, a.socket_path);
	ck_assert_int_eq(load(&a, &err, 9, "--socket-allow", "uid:0,gid:nogroup", "--osc-allow",
			      "10.0.0.0/8", "--socket-group", "nogroup", "--allow-root",
			      "--media-max-mb", "100"),
			 WM_CONFIG_RUN);
	f = fopen(ini_path, "w");
	wm_config_print(&a, f);
	fclose(f);
	ck_assert_int_eq(load(&b, &err, 2, "--config", ini_path), WM_CONFIG_RUN);
	ck_assert_str_eq(b.socket_allow, "uid:0,gid:nogroup");
	ck_assert_str_eq(b.osc_allow, "10.0.0.0/8");
	ck_assert(b.socket_set_group && b.socket_gid == a.socket_gid && b.allow_root);
	ck_assert_int_eq(b.media_max_mb, 100);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, precedence_file_env_flags);
	tcase_add_test(tc, bad_flags);
	tcase_add_test(tc, bad_file);
	tcase_add_test(tc, access_settings);
	tcase_add_test(tc, bad_access_settings);
	tcase_add_test(tc, printed_config_reloads_identically);
	suite_add_tcase(s, tc);
	return wm_t_run_suite(s);
}
