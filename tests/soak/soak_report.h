/* soak_report.h - the soak's results as a table on stdout and a JSON file.
 * The result object is built by soak.c; this file only presents it. The
 * soak's main thread. */
#ifndef WM_SOAK_REPORT_H
#define WM_SOAK_REPORT_H

#include <jansson.h>

/* The table: one line per figure, then one per pass criterion. */
void soak_report_print(const json_t *result);

/* Write the result as indented JSON (directories made as needed); 0 or -1. */
int soak_report_write(const json_t *result, const char *path);

#endif
