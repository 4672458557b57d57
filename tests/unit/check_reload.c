/* check_reload.c - daemon/reload: the settings that differ between two
 * configurations, split into live and needs-restart, whatever their
 * section; nothing listed when nothing changed; the joined lists. */
#include <check.h>
#include <string.h>

#include "daemon/reload.h"

#include "tests/support/suite.h"

static void load(struct wm_config *c, const char *const args[])
{
	char *argv[16] = { "washmixd" };
	int argc = 1;
	struct wm_err err = { 0 };
	for (int i = 0; args[i] && argc < 15; i++)
		argv[argc++] = (char *)args[i];
	ck_assert_msg(wm_config_load(c, argc, argv, &err) == WM_CONFIG_RUN, "%s", err.msg);
}

START_TEST(live_and_restart_split)
{
	static struct wm_config a, b;
	static struct wm_reload_diff d;
	char buf[512];
	const char *const before[] = { "--channels", "8", "--log-level", "info", NULL };
	const char *const after[] = { "--channels", "12", "--log-level", "debug", "--cache-ttl",
				       "60", "--osc-port", "9100", NULL };
	load(&a, before);
	load(&b, after);
	ck_assert_int_eq(wm_reload_diff(&a, &b, &d), 0);
	ck_assert_str_eq(wm_reload_list(d.live, d.nlive, buf, sizeof buf),
			 "render.cache_ttl_s,log.level");
	ck_assert_str_eq(wm_reload_list(d.restart, d.nrestart, buf, sizeof buf),
			 "mix.channels,osc.port");
	ck_assert(wm_reload_changed(&d, "log.level"));
	ck_assert(!wm_reload_changed(&d, "mix.channels"));
}
END_TEST

START_TEST(nothing_changed)
{
	static struct wm_config a, b;
	static struct wm_reload_diff d;
	char buf[64];
	const char *const same[] = { "--zones", "3", NULL };
	load(&a, same);
	load(&b, same);
	ck_assert_int_eq(wm_reload_diff(&a, &b, &d), 0);
	ck_assert_int_eq(d.nlive + d.nrestart, 0);
	ck_assert_str_eq(wm_reload_list(d.live, 0, buf, sizeof buf), "none");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("reload");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, live_and_restart_split);
	tcase_add_test(tc, nothing_changed);
	suite_add_tcase(s, tc);
	return wm_t_run_suite(s);
}
