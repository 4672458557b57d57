/* cidr.c - parsing and matching network lists (no allocation). */
#include "control/cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENTRY_MAX 64    /* longest "ADDR/PREFIX" text */

static bool bits_match(const uint8_t *a, const uint8_t *b, int prefix)
{
	int whole = prefix / 8, rest = prefix % 8;
	if (memcmp(a, b, (size_t)whole) != 0)
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

static bool host_bits_clear(const uint8_t *addr, int prefix, int bytes)
{
	for (int bit = prefix; bit < bytes * 8; bit++)
		if (addr[bit / 8] & (0x80 >> (bit % 8)))
			return false;
	return true;
}

static int parse_prefix(const char *text, int max, int *out)
{
	char *end;
	long n = strtol(text, &end, 10);
	if (end == text || *end || n < 0 || n > max || text[0] == '+' || text[0] == '-')
		return -1;
	*out = (int)n;
	return 0;
}

static int parse_entry(const char *text, struct wm_cidr *net, struct wm_err *err)
{
	char addr[ENTRY_MAX];
	if (strlen(text) >= sizeof addr)
		return wm_err_set(err, WM_E_BAD_CONFIG, "\"%.80s...\" is too long for an address",
				  text);
	snprintf(addr, sizeof addr, "%s", text);
	char *slash = strchr(addr, '/');
	if (slash)
		*slash = '\0';
	memset(net, 0, sizeof *net);
	if (inet_pton(AF_INET, addr, net->addr) == 1)
		net->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, net->addr) == 1)
		net->family = AF_INET6;
	else
		return wm_err_set(err, WM_E_BAD_CONFIG,
				  "\"%s\" is not an IPv4 or IPv6 network; write ADDRESS or "
				  "ADDRESS/PREFIX such as 192.168.1.0/24 or fd00::/64",
				  text);
	int max = net->family == AF_INET ? 32 : 128;
	net->prefix = max;
	if (slash && parse_prefix(slash + 1, max, &net->prefix) < 0)
		return wm_err_set(err, WM_E_BAD_CONFIG, "\"%s\": the prefix must be 0..%d", text,
				  max);
	if (!host_bits_clear(net->addr, net->prefix, max / 8))
		return wm_err_set(err, WM_E_BAD_CONFIG,
				  "\"%s\" has bits set below its /%d prefix; write the network "
				  "address (for 192.168.1.7/24: 192.168.1.0/24)",
				  text, net->prefix);
	return 0;
}

int wm_cidr_parse_list(const char *text, struct wm_cidr_list *list, struct wm_err *err)
{
	struct wm_cidr_list parsed = { 0 };
	const char *p = text;
	for (;;) {
		size_t n = strcspn(p, ",");
		char entry[ENTRY_MAX + 1];
		while (n && (*p == ' ' || *p == '\t'))
			p++, n--;
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 0)
			return wm_err_set(err, WM_E_BAD_CONFIG,
					  "empty entry in the network list \"%s\"; write networks "
					  "separated by commas, such as 127.0.0.0/8,192.168.1.0/24",
					  text);
		if (parsed.count == WM_CIDR_MAX)
			return wm_err_set(err, WM_E_BAD_CONFIG,
					  "more than %d networks in \"%.100s...\"", WM_CIDR_MAX, text);
		snprintf(entry, sizeof entry, "%.*s", (int)(n < ENTRY_MAX ? n : ENTRY_MAX), p);
		if (parse_entry(entry, &parsed.net[parsed.count++], err) < 0)
			return -1;
		p += strcspn(p, ",");
		if (!*p)
			break;
		p++;
	}
	*list = parsed;
	return 0;
}

/* The address as a family and bytes; IPv4-mapped IPv6 becomes IPv4. */
static bool address_bytes(const struct sockaddr *sa, int *family, const uint8_t **bytes)
{
	if (sa->sa_family == AF_INET) {
		*family = AF_INET;
		*bytes = (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		return true;
	}
	if (sa->sa_family != AF_INET6)
		return false;
	const struct in6_addr *a6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (IN6_IS_ADDR_V4MAPPED(a6)) {
		*family = AF_INET;
		*bytes = a6->s6_addr + 12;
	} else {
		*family = AF_INET6;
		*bytes = a6->s6_addr;
	}
	return true;
}

bool wm_cidr_match(const struct wm_cidr_list *list, const struct sockaddr *addr)
{
	int family;
	const uint8_t *bytes;
	if (!address_bytes(addr, &family, &bytes))
		return false;
	for (int i = 0; i < list->count; i++)
		if (list->net[i].family == family &&
		    bits_match(list->net[i].addr, bytes, list->net[i].prefix))
			return true;
	return false;
}

bool wm_cidr_only_loopback(const struct wm_cidr_list *list)
{
	static const uint8_t v6_loopback[16] = { [15] = 1 };
	for (int i = 0; i < list->count; i++) {
		const struct wm_cidr *n = &list->net[i];
		bool inside = n->family == AF_INET ? n->prefix >= 8 && n->addr[0] == 127
						   : n->prefix == 128 &&
							     memcmp(n->addr, v6_loopback, 16) == 0;
		if (!inside)
			return false;
	}
	return true;
}
