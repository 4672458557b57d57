/* check_log.c - common/log: a line is one logfmt record; on a terminal or
 * file it starts with a UTC ts= to the millisecond; when stderr is the
 * stream JOURNAL_STREAM names it starts with the syslog priority and has no
 * time; a JOURNAL_STREAM inherited by a process whose stderr went elsewhere
 * is ignored; levels below the set one are dropped. Each test runs in its
 * own process (Check's fork mode), so the journal decision starts afresh. */
#include <check.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"

#include "tests/support/proc.h"
#include "tests/support/suite.h"

static char path[4200];

/* stderr to a fresh file; returns its fd's stat. */
static struct stat capture(void)
{
	struct stat st;
	snprintf(path, sizeof path, "%s/log-%d.txt", wm_tmpdir(), (int)getpid());
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(dup2(fd, STDERR_FILENO), 0);
	close(fd);
	ck_assert_int_eq(fstat(STDERR_FILENO, &st), 0);
	return st;
}

static char *captured(void)
{
	char *text = wm_file_read(path, NULL);
	ck_assert_ptr_nonnull(text);
	return text;
}

static void expect_match(const char *text, const char *pattern)
{
	regex_t re;
	ck_assert_int_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
	int rc = regexec(&re, text, 0, NULL, 0);
	regfree(&re);
	ck_assert_msg(rc == 0, "\"%s\" does not match %s", text, pattern);
}

START_TEST(timestamped_off_the_journal)
{
	capture();
	unsetenv("JOURNAL_STREAM");
	wm_log_set_level(WM_LOG_INFO);
	wm_info("test.event", "a=1 b=\"two words\"");
	wm_debug("test.hidden", "x=1");
	char *text = captured();
	expect_match(text, "^ts=20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]"
			   "\\.[0-9]{3}Z level=info event=test.event a=1 b=\"two words\"\n$");
	ck_assert(!wm_log_to_journal());
	free(text);
}
END_TEST

START_TEST(priority_and_no_time_under_journald)
{
	struct stat st = capture();
	char env[64];
	snprintf(env, sizeof env, "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	wm_log_set_level(WM_LOG_DEBUG);
	wm_warn("test.warn", "n=3");
	wm_debug("test.debug", "n=4");
	char *text = captured();
	ck_assert_str_eq(text, "<4>level=warn event=test.warn n=3\n"
			       "<7>level=debug event=test.debug n=4\n");
	ck_assert(wm_log_to_journal());
	free(text);
}
END_TEST

START_TEST(inherited_journal_stream_ignored)
{
	capture();
	setenv("JOURNAL_STREAM", "8:123456", 1);
	wm_error("test.error", "why=\"elsewhere\"");
	char *text = captured();
	expect_match(text, "^ts=[^ ]+Z level=error event=test.error why=\"elsewhere\"\n$");
	free(text);
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, timestamped_off_the_journal);
	tcase_add_test(tc, priority_and_no_time_under_journald);
	tcase_add_test(tc, inherited_journal_stream_ignored);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return wm_t_run_suite(log_suite());
}
