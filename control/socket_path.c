/* socket_path.c - the default control socket path (any thread). */
#include "control/socket_path.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void wm_default_socket_path(char *buf, size_t len)
{
	const char *dir = getenv("RUNTIME_DIRECTORY");
	if (dir && *dir) {
		/* systemd may list several directories separated by colons. */
		int n = 0;
		while (dir[n] && dir[n] != ':')
			n++;
		snprintf(buf, len, "%.*s/control.sock", n, dir);
		return;
	}
	dir = getenv("XDG_RUNTIME_DIR");
	if (dir && *dir) {
		snprintf(buf, len, "%s/washmixd.sock", dir);
		return;
	}
	snprintf(buf, len, "/tmp/washmixd-%u.sock", (unsigned)getuid());
}
