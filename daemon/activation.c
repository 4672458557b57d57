/* activation.c - the control socket from systemd (see activation.h).
 * Control thread, at start-up. */
#include "daemon/activation.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

static void bound_path(int fd, char *path, size_t len)
{
	struct sockaddr_un sa;
	socklen_t salen = sizeof sa;
	memset(&sa, 0, sizeof sa);
	path[0] = '\0';
	if (getsockname(fd, (struct sockaddr *)&sa, &salen) == 0 && sa.sun_path[0])
		snprintf(path, len, "%.*s", (int)sizeof sa.sun_path, sa.sun_path);
}

int wm_activation_control_fd(char *path, size_t len, struct wm_err *err)
{
	/* unset_environment=1; the fds come back close-on-exec. */
	int n = sd_listen_fds(1);
	if (n < 0) {
		wm_err_set(err, WM_E_BAD_CONFIG, "LISTEN_FDS from systemd is unusable: %s",
			   strerror(-n));
		return -2;
	}
	if (n == 0)
		return -1;
	if (n != 1) {
		for (int i = 0; i < n; i++)
			close(SD_LISTEN_FDS_START + i);
		wm_err_set(err, WM_E_BAD_CONFIG, "systemd passed %d sockets; washmixd.socket must "
			   "have exactly one ListenStream= (the control socket)", n);
		return -2;
	}
	int fd = SD_LISTEN_FDS_START;
	if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) <= 0) {
		close(fd);
		wm_err_set(err, WM_E_BAD_CONFIG, "the socket systemd passed (fd %d) is not a "
			   "listening Unix stream socket; washmixd.socket needs ListenStream=/PATH",
			   fd);
		return -2;
	}
	bound_path(fd, path, len);
	return fd;
}
