/* suite.c - shared main() body of the Check binaries. */
#include "tests/support/suite.h"

#include <stdlib.h>

#include "tests/support/proc.h"

int wm_t_run_suite(Suite *suite)
{
	SRunner *sr = srunner_create(suite);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (failed)
		wm_tmpdir_keep();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
