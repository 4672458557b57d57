/* socket_path.h - where the control socket lives when nobody says, shared by
 * the daemon and the CLI so they always meet: $RUNTIME_DIRECTORY/control.sock
 * (systemd), else $XDG_RUNTIME_DIR/washmixd.sock, else /tmp/washmixd-$UID.sock. */
#ifndef WM_SOCKET_PATH_H
#define WM_SOCKET_PATH_H

#include <stddef.h>

void wm_default_socket_path(char *buf, size_t len);

#endif
