/* cli_render.h - `washmix render`: the request built from flags (or given
 * whole with --json), sent as `render JSON`, and with --wait the job
 * polled until it finishes, then summed up for a person; with --local
 * rendered here by washmixd --render instead (cli_local.h).
 * The CLI's main thread. */
#ifndef WM_CLI_RENDER_H
#define WM_CLI_RENDER_H

#include <jansson.h>
#include <stdbool.h>

/* Send one request line (no newline) and return its reply, or NULL when
 * the daemon did not answer (the callee has said why on stderr). */
typedef json_t *(*wm_cli_request_fn)(void *arg, const char *line);

/* argv[0] is "render"; request is not called with --local. Returns the exit status: 0 queued or done, 1 an
 * error reply or a failed/cancelled job, 2 no answer, 64 usage. */
int wm_cli_render(int argc, char **argv, bool raw, wm_cli_request_fn request, void *arg);

#endif
