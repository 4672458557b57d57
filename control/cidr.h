/* cidr.h - lists of IPv4/IPv6 networks ("192.168.1.0/24,::1") parsed with
 * inet_pton and matched against a packet's source address. The OSC server's
 * allow-list. Plain values, no allocation; any thread. */
#ifndef WM_CIDR_H
#define WM_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/err.h"

#define WM_CIDR_MAX 32                          /* networks in one list */
#define WM_CIDR_LOOPBACK "127.0.0.0/8,::1"

struct wm_cidr {
	int family;                 /* AF_INET or AF_INET6 */
	uint8_t addr[16];           /* network byte order; host bits zero */
	int prefix;                 /* 0..32 or 0..128 */
};

struct wm_cidr_list {
	int count;
	struct wm_cidr net[WM_CIDR_MAX];
};

/* "ADDR[/PREFIX][,ADDR[/PREFIX]...]"; an address without a prefix is one
 * host. Refuses (WM_E_BAD_CONFIG) an empty list, a bad address or prefix,
 * host bits set below the prefix, and more than WM_CIDR_MAX entries. */
int wm_cidr_parse_list(const char *text, struct wm_cidr_list *list, struct wm_err *err);

/* True when addr (AF_INET or AF_INET6; an IPv4-mapped IPv6 address counts
 * as IPv4) is inside one of the networks. */
bool wm_cidr_match(const struct wm_cidr_list *list, const struct sockaddr *addr);

/* True when every network is inside 127.0.0.0/8 or ::1. */
bool wm_cidr_only_loopback(const struct wm_cidr_list *list);

#endif
