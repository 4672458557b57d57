/* osc_packet.h - the strict OSC 1.0 check every received datagram passes
 * before any of it reaches liblo, plus the walker for bundles.
 *
 * washmixd reads OSC datagrams itself and hands liblo only single messages
 * (lo_message_deserialise), never bundles: liblo 0.31 over-reads the heap on
 * some malformed blobs and bundles (RELIABILITY.md 2.1). The promise here is:
 * wm_osc_validate() accepted a packet => every message in it decodes in
 * liblo 0.31 without reading out of bounds, and the bundle walker below steps
 * through it safely. tests/unit/check_osc_packet.c holds that promise to
 * liblo itself, differentially, under ASan.
 *
 * Pure functions over caller-owned bytes: no allocation, no global state,
 * any thread. */
#ifndef WM_OSC_PACKET_H
#define WM_OSC_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* Largest datagram accepted; also bounds every length field inside one. */
#define WM_OSC_MAX_PACKET 65536
/* Bundles nested in bundles: a top-level bundle is depth 1. */
#define WM_OSC_MAX_DEPTH 4
/* Longest address, in characters, not counting its NUL. */
#define WM_OSC_MAX_ADDRESS 255
/* The type tags accepted: exactly those liblo 0.31 decodes correctly. No
 * 'r' (RGBA) and no '[' ']' arrays, which liblo 0.31 refuses or
 * mishandles. */
#define WM_OSC_TAGS "ifsSbhtdcmTFNI"

/* Timetags are NTP: seconds since 1900 in the high 32 bits, a binary
 * fraction in the low 32. The value 1 means "immediately". */
#define WM_OSC_IMMEDIATE 1ULL
/* Seconds from 1900-01-01 (NTP epoch) to 1970-01-01 (Unix epoch). */
#define WM_OSC_NTP_UNIX_OFFSET 2208988800ULL

/* Check that data[0..size) is one well-formed OSC 1.0 packet (a message or
 * a bundle) that washmix accepts:
 *  - size > 0, a multiple of 4, at most WM_OSC_MAX_PACKET;
 *  - a message: an address starting with '/', printable ASCII without
 *    spaces (0x21-0x7e), at most WM_OSC_MAX_ADDRESS characters; then a type
 *    tag string starting with ','; both NUL-terminated and NUL-padded to a
 *    multiple of 4; tags only from WM_OSC_TAGS; each argument fits (i f c m:
 *    4 bytes, h t d: 8, s S: NUL-terminated and NUL-padded, b: a big-endian
 *    int32 length >= 0, the data and NUL padding); nothing after the last
 *    argument. Messages without a type tag string (pre-1.0 OSC) are
 *    refused;
 *  - a bundle: "#bundle\0", an 8-byte timetag, then zero or more elements,
 *    each a big-endian int32 size (> 0, a multiple of 4, fitting in what is
 *    left) followed by a message or bundle that passes the same checks,
 *    nested at most WM_OSC_MAX_DEPTH bundles deep; nothing left over.
 * Returns 0, or -1 with err (may be NULL) set to WM_E_BAD_REQUEST and a
 * sentence saying what is wrong, at which byte offset of the datagram, and
 * what is allowed. Never reads outside data[0..size). */
int wm_osc_validate(const void *data, size_t size, struct wm_err *err);

/* Does data[0..size) start with "#bundle\0"? Safe on any bytes. */
bool wm_osc_is_bundle(const void *data, size_t size);

/* Position in a bundle's element list; fill with wm_osc_bundle_begin(). */
struct wm_osc_bundle_iter {
	const uint8_t *pos;
	const uint8_t *end;
};

/* Start walking the bundle data[0..size), which wm_osc_validate() accepted
 * (or which is an element of one): stores its timetag (host order) in
 * *timetag and the position of its first element in *it. */
void wm_osc_bundle_begin(const void *data, size_t size, uint64_t *timetag,
			 struct wm_osc_bundle_iter *it);

/* Next element of the bundle in order: *elem and *elem_size are its bytes
 * without the size field (a message, or a bundle to walk with its own
 * iterator). Returns false after the last element. Stops early, instead of
 * reading past the end, if a size field does not fit, so an unvalidated
 * bundle cannot make it over-read either. */
bool wm_osc_bundle_next(struct wm_osc_bundle_iter *it, const void **elem,
			size_t *elem_size);

/* The address of a validated message: NUL-terminated, inside data. */
const char *wm_osc_message_address(const void *data);

/* The type tags of a validated message of size bytes, without the leading
 * ',' ("" for no arguments): NUL-terminated, inside data. NULL when data
 * has no terminated address followed by a terminated ',' string within
 * size, which a validated message always has. */
const char *wm_osc_message_types(const void *data, size_t size);

#endif
