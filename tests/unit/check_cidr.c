/* check_cidr.c - control/cidr: network lists parsed with their messages,
 * IPv4, IPv6 and IPv4-mapped sources matched against them, prefixes that do
 * not fall on a byte, and the loopback-only test behind the OSC warning. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "control/cidr.h"

#include "tests/support/suite.h"

static bool matches(const char *list_text, const char *addr)
{
	struct wm_cidr_list list;
	struct wm_err err = { 0 };
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	ck_assert_msg(wm_cidr_parse_list(list_text, &list, &err) == 0, "%s: %s", list_text,
		      err.msg);
	if (inet_pton(AF_INET, addr, &in->sin_addr) == 1)
		in->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1)
		in6->sin6_family = AF_INET6;
	else
		ck_abort_msg("bad test address %s", addr);
	return wm_cidr_match(&list, (struct sockaddr *)&ss);
}

static void expect_refused(const char *text, const char *needle)
{
	struct wm_cidr_list list = { .count = 99 };
	struct wm_err err = { 0 };
	ck_assert_int_eq(wm_cidr_parse_list(text, &list, &err), -1);
	ck_assert_int_eq(err.code, WM_E_BAD_CONFIG);
	ck_assert_msg(strstr(err.msg, needle), "\"%s\": \"%s\" lacks \"%s\"", text, err.msg,
		      needle);
	ck_assert_int_eq(list.count, 99); /* untouched */
}

START_TEST(ipv4)
{
	ck_assert(matches("127.0.0.0/8", "127.0.0.1"));
	ck_assert(matches("127.0.0.0/8", "127.255.0.9"));
	ck_assert(!matches("127.0.0.0/8", "128.0.0.1"));
	ck_assert(matches("127.0.0.1", "127.0.0.1"));
	ck_assert(!matches("127.0.0.1", "127.0.0.2"));
	ck_assert(matches("192.168.1.0/24", "192.168.1.200"));
	ck_assert(!matches("192.168.1.0/24", "192.168.2.1"));
	/* A prefix inside a byte: 10.0.0.0/12 is 10.0.0.0 .. 10.15.255.255. */
	ck_assert(matches("10.0.0.0/12", "10.15.255.255"));
	ck_assert(!matches("10.0.0.0/12", "10.16.0.0"));
	ck_assert(matches("0.0.0.0/0", "203.0.113.5"));
	ck_assert(!matches("10.0.0.0/8, 192.168.0.0/16", "172.16.0.1"));
	ck_assert(matches("10.0.0.0/8, 192.168.0.0/16", "192.168.44.1"));
}
END_TEST

START_TEST(ipv6)
{
	ck_assert(matches("::1", "::1"));
	ck_assert(!matches("::1", "::2"));
	ck_assert(matches("fd00::/8", "fd12:3456::1"));
	ck_assert(!matches("fd00::/8", "fe80::1"));
	ck_assert(matches("2001:db8::/33", "2001:db8:7fff::1"));
	ck_assert(!matches("2001:db8::/33", "2001:db8:8000::1"));
	/* families never match each other, but a mapped IPv4 source is IPv4 */
	ck_assert(!matches("::1", "127.0.0.1"));
	ck_assert(!matches("127.0.0.0/8", "::1"));
	ck_assert(matches("127.0.0.0/8", "::ffff:127.0.0.1"));
	ck_assert(!matches("127.0.0.0/8", "::ffff:10.0.0.1"));
}
END_TEST

START_TEST(refusals)
{
	expect_refused("", "empty entry");
	expect_refused("127.0.0.1,", "empty entry");
	expect_refused("lan", "not an IPv4 or IPv6 network");
	expect_refused("localhost", "ADDRESS/PREFIX");
	expect_refused("10.0.0.0/33", "prefix must be 0..32");
	expect_refused("::/129", "prefix must be 0..128");
	expect_refused("10.0.0.0/", "prefix must be");
	expect_refused("10.0.0.0/-1", "prefix must be");
	expect_refused("10.0.0.0/8x", "prefix must be");
	expect_refused("192.168.1.7/24", "bits set below its /24");
	expect_refused("fd00::1/8", "bits set below its /8");
	char many[2048] = "";
	for (int i = 0; i <= WM_CIDR_MAX; i++)
		snprintf(many + strlen(many), sizeof many - strlen(many), "%s10.0.0.%d", i ? "," : "",
			 i);
	expect_refused(many, "more than 32 networks");
}
END_TEST

START_TEST(loopback_only)
{
	struct wm_cidr_list list;
	ck_assert_int_eq(wm_cidr_parse_list(WM_CIDR_LOOPBACK, &list, NULL), 0);
	ck_assert_int_eq(list.count, 2);
	ck_assert(wm_cidr_only_loopback(&list));
	ck_assert_int_eq(wm_cidr_parse_list("127.0.0.2", &list, NULL), 0);
	ck_assert(wm_cidr_only_loopback(&list));
	ck_assert_int_eq(wm_cidr_parse_list("127.0.0.0/8,192.168.1.0/24", &list, NULL), 0);
	ck_assert(!wm_cidr_only_loopback(&list));
	ck_assert_int_eq(wm_cidr_parse_list("0.0.0.0/0", &list, NULL), 0);
	ck_assert(!wm_cidr_only_loopback(&list));
	ck_assert_int_eq(wm_cidr_parse_list("::/0", &list, NULL), 0);
	ck_assert(!wm_cidr_only_loopback(&list));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cidr");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, ipv4);
	tcase_add_test(tc, ipv6);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, loopback_only);
	suite_add_tcase(s, tc);
	return wm_t_run_suite(s);
}
