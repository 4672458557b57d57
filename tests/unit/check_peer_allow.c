/* check_peer_allow.c - control/peer_allow: entries by number and by name
 * (resolved through the system's user and group databases: root, nobody,
 * nogroup exist on Debian), matching on uid, primary gid and supplementary
 * groups, the daemon's own uid always let in, and refusals with what is
 * allowed. */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "control/peer_allow.h"

#include "tests/support/suite.h"

#define NOBODY 65534
#define NOGROUP 65534

static struct wm_peer_allow parse_ok(const char *text)
{
	struct wm_peer_allow a;
	struct wm_err err = { 0 };
	ck_assert_msg(wm_peer_allow_parse(text, &a, &err) == 0, "%s: %s", text, err.msg);
	return a;
}

static void expect_refused(const char *text, const char *needle)
{
	struct wm_peer_allow a;
	struct wm_err err = { 0 };
	ck_assert_int_eq(wm_peer_allow_parse(text, &a, &err), -1);
	ck_assert_int_eq(err.code, WM_E_BAD_CONFIG);
	ck_assert_msg(strstr(err.msg, needle), "\"%s\": \"%s\" lacks \"%s\"", text, err.msg,
		      needle);
}

START_TEST(empty_is_everyone)
{
	struct wm_peer_allow a = parse_ok("");
	ck_assert(a.everyone);
	ck_assert(wm_peer_allowed(&a, 4242, 4242, NULL, 0));
}
END_TEST

START_TEST(by_uid_and_gid)
{
	struct wm_peer_allow a = parse_ok("uid:1000,gid:2000");
	ck_assert(!a.everyone);
	ck_assert(wm_peer_allowed(&a, 1000, 1, NULL, 0));
	ck_assert(wm_peer_allowed(&a, 1, 2000, NULL, 0));
	ck_assert(!wm_peer_allowed(&a, 1001, 2001, NULL, 0));
	gid_t groups[] = { 5, 2000 };
	ck_assert(wm_peer_allowed(&a, 1001, 2001, groups, 2));
	ck_assert(!wm_peer_allowed(&a, 1001, 2001, groups, 1));
	/* the daemon's own uid, whatever the list says */
	ck_assert(wm_peer_allowed(&a, geteuid(), 99999, NULL, 0));
}
END_TEST

START_TEST(by_name)
{
	struct wm_peer_allow a = parse_ok("user:nobody,group:nogroup,uid:root,gid:nogroup");
	ck_assert_int_eq(a.nuids, 2);
	ck_assert_int_eq(a.uid[0], NOBODY);
	ck_assert_int_eq(a.uid[1], 0);
	ck_assert_int_eq(a.gid[0], NOGROUP);
	ck_assert(wm_peer_allowed(&a, NOBODY, NOGROUP, NULL, 0));
	ck_assert_str_eq(a.text, "user:nobody,group:nogroup,uid:root,gid:nogroup");
}
END_TEST

START_TEST(refusals)
{
	expect_refused("root", "\"root\" is not an entry; write uid:N");
	expect_refused("uid:", "is not an entry");
	expect_refused("pid:5", "is not an entry");
	expect_refused("uid:0,", "ends with a comma");
	expect_refused("uid:0,,gid:0", "\"\" is not an entry");
	expect_refused("user:wm-no-such-user", "no user \"wm-no-such-user\"");
	expect_refused("gid:wm-no-such-group", "no group \"wm-no-such-group\"");
	expect_refused("user:1000", "no user \"1000\""); /* user: takes names only */
	char many[1024] = "";
	for (int i = 0; i <= WM_PEER_ALLOW_MAX; i++)
		snprintf(many + strlen(many), sizeof many - strlen(many), "%suid:%d", i ? "," : "",
			 i);
	expect_refused(many, "more than 32 users and groups");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("peer_allow");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, empty_is_everyone);
	tcase_add_test(tc, by_uid_and_gid);
	tcase_add_test(tc, by_name);
	tcase_add_test(tc, refusals);
	suite_add_tcase(s, tc);
	return wm_t_run_suite(s);
}
