/* osc_packet.c - strict OSC 1.0 validation of received datagrams and the
 * bundle walker. Pure functions, any thread; nothing here allocates.
 *
 * Every read is bounded by the slice being checked, never by what a length
 * field claims: the point of this file is that liblo 0.31 (which trusts
 * some length fields, RELIABILITY.md 2.1) only ever sees bytes that passed
 * it. Error texts name the byte offset within the whole datagram, so an
 * operator reading an /error reply can find the fault in a packet dump. */
#include "control/osc_packet.h"

#include <stdio.h>
#include <string.h>

/* Always -1, visibly to the analyzers too (wm_err_set lives elsewhere). */
#define BAD(err, ...) (wm_err_set((err), WM_E_BAD_REQUEST, __VA_ARGS__), -1)

#define BUNDLE_TAG "#bundle"
/* "#bundle\0" and the 8-byte timetag */
#define BUNDLE_HEADER 16
#define ALLOWED_TAGS "i f s S b h t d c m T F N I"

/* The part of the datagram being checked: p[0..size) is byte base of the
 * datagram, so nested elements report offsets the sender can find. */
struct span {
	const uint8_t *p;
	size_t size;
	size_t base;
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* A size field read as the int32 OSC says it is, for error texts. */
static long long as_int32(uint32_t n)
{
	return n > INT32_MAX ? (long long)n - 0x100000000LL : (long long)n;
}

/* A byte as an operator wants to read it: 'x' when printable, else hex. */
struct byte_text {
	char s[8];
};

static struct byte_text show(uint8_t c)
{
	struct byte_text t;

	if (c >= 0x21 && c <= 0x7e)
		snprintf(t.s, sizeof t.s, "'%c'", c);
	else
		snprintf(t.s, sizeof t.s, "0x%02x", c);
	return t;
}

/* Bytes p[from..to) of an OSC string or blob must be NUL: liblo refuses
 * anything else, and accepting it would make the differential promise
 * (accepted => liblo decodes) false. */
static int check_padding(const struct span *s, size_t from, size_t to, const char *what,
			 struct wm_err *err)
{
	for (size_t i = from; i < to; i++) {
		if (s->p[i] != 0)
			return BAD(err, "OSC %s: non-zero padding byte 0x%02x at offset %zu; "
				   "OSC pads with NUL bytes to a multiple of 4",
				   what, s->p[i], s->base + i);
	}
	return 0;
}

/* *len = length of the OSC string at s->p + off, NUL and padding
 * included. what names it in the error ("address", "argument 2 ('s')"). */
static int padded_string(const struct span *s, size_t off, const char *what, size_t *len,
			 struct wm_err *err)
{
	const uint8_t *nul = memchr(s->p + off, 0, s->size - off);

	if (!nul)
		return BAD(err, "OSC %s at offset %zu is not NUL-terminated within the "
			   "%zu-byte packet", what, s->base + off, s->size);
	size_t end = (size_t)(nul - s->p) + 1;
	size_t padded = pad4(end);
	/* Cannot trigger while sizes are multiples of 4; kept so this
	 * function is safe on its own. */
	if (padded > s->size)
		return BAD(err, "OSC %s at offset %zu: its NUL padding runs past the end of "
			   "the packet", what, s->base + off);
	if (check_padding(s, end, padded, what, err))
		return -1;
	*len = padded - off;
	return 0;
}

/* The address: '/', printable ASCII without spaces, bounded length.
 * s->size >= 4 here: packets and bundle elements are never smaller. */
static int check_address(const struct span *s, size_t *next, struct wm_err *err)
{
	if (s->p[0] != '/') {
		struct byte_text t = show(s->p[0]);
		return BAD(err, "OSC packet at offset %zu starts with %s; a message address "
			   "starts with '/' (a bundle with \"#bundle\")", s->base, t.s);
	}
	size_t i = 1;
	for (; i < s->size && s->p[i] != 0; i++) {
		if (s->p[i] < 0x21 || s->p[i] > 0x7e)
			return BAD(err, "OSC address has byte 0x%02x at offset %zu; addresses are "
				   "printable ASCII without spaces (0x21-0x7e)",
				   s->p[i], s->base + i);
		if (i >= WM_OSC_MAX_ADDRESS)
			return BAD(err, "OSC address at offset %zu is longer than %d characters",
				   s->base, WM_OSC_MAX_ADDRESS);
	}
	return padded_string(s, 0, "address", next, err);
}

/* The type tag string at off: ',' then only tags liblo 0.31 decodes.
 * Sets *tags to the letters after ',' and *next past the padding. */
static int check_type_tags(const struct span *s, size_t off, const char **tags, size_t *next,
			   struct wm_err *err)
{
	if (off == s->size)
		return BAD(err, "OSC message at offset %zu has no type tag string after its "
			   "address (pre-1.0 OSC); send type tags: ',' then one letter per "
			   "argument", s->base);
	if (s->p[off] != ',') {
		struct byte_text t = show(s->p[off]);
		return BAD(err, "OSC type tag string at offset %zu starts with %s, not ','; "
			   "messages without type tags (pre-1.0 OSC) are not accepted",
			   s->base + off, t.s);
	}
	size_t len = 0;
	if (padded_string(s, off, "type tag string", &len, err))
		return -1;
	for (size_t i = off + 1; s->p[i] != 0; i++) {
		if (!memchr(WM_OSC_TAGS, s->p[i], sizeof WM_OSC_TAGS - 1)) {
			struct byte_text t = show(s->p[i]);
			return BAD(err, "OSC type tag %s at offset %zu (argument %zu) is not "
				   "supported; allowed: " ALLOWED_TAGS,
				   t.s, s->base + i, i - off);
		}
	}
	*tags = (const char *)s->p + off + 1;
	*next = off + len;
	return 0;
}

static int check_fixed(const struct span *s, size_t off, size_t need, const char *what,
		       size_t *len, struct wm_err *err)
{
	size_t left = s->size - off;

	if (left < need)
		return BAD(err, "OSC %s at offset %zu needs %zu bytes but only %zu remain",
			   what, s->base + off, need, left);
	*len = need;
	return 0;
}

/* A blob: int32 length >= 0, the data, NUL padding to a multiple of 4.
 * liblo 0.31 reads the length without checking 4 bytes remain. */
static int check_blob(const struct span *s, size_t off, const char *what, size_t *len,
		      struct wm_err *err)
{
	size_t left = s->size - off;

	if (left < 4)
		return BAD(err, "OSC %s at offset %zu needs 4 bytes for its length but only "
			   "%zu remain", what, s->base + off, left);
	uint32_t n = be32(s->p + off);
	if (n > INT32_MAX)
		return BAD(err, "OSC %s at offset %zu has length %lld; blob lengths are 0 or "
			   "more", what, s->base + off, as_int32(n));
	if (n > left - 4)
		return BAD(err, "OSC %s at offset %zu declares %u data bytes but only %zu "
			   "follow", what, s->base + off, n, left - 4);
	size_t need = 4 + pad4(n);
	if (need > left)
		return BAD(err, "OSC %s at offset %zu: its NUL padding runs past the end of "
			   "the packet", what, s->base + off);
	if (check_padding(s, off + 4 + n, off + need, what, err))
		return -1;
	*len = need;
	return 0;
}

/* How many bytes the argument with this tag takes at off, checked. */
static int check_arg(const struct span *s, size_t off, char tag, size_t argno, size_t *len,
		     struct wm_err *err)
{
	char what[40];

	snprintf(what, sizeof what, "argument %zu ('%c')", argno, tag);
	switch (tag) {
	case 'T': case 'F': case 'N': case 'I':
		*len = 0;
		return 0;
	case 'i': case 'f': case 'c': case 'm':
		return check_fixed(s, off, 4, what, len, err);
	case 'h': case 't': case 'd':
		return check_fixed(s, off, 8, what, len, err);
	case 's': case 'S':
		return padded_string(s, off, what, len, err);
	case 'b':
		return check_blob(s, off, what, len, err);
	default:
		/* check_type_tags let through a tag this switch does not know */
		wm_err_set(err, WM_E_INTERNAL, "OSC type tag '%c' has no argument rule", tag);
		return -1;
	}
}

static int check_message(const struct span *s, struct wm_err *err)
{
	size_t off = 0;
	const char *tags = NULL;

	if (check_address(s, &off, err) || check_type_tags(s, off, &tags, &off, err))
		return -1;
	size_t argno = 0;
	for (; tags[argno] != '\0'; argno++) {
		size_t len = 0;
		if (check_arg(s, off, tags[argno], argno + 1, &len, err))
			return -1;
		off += len;
	}
	if (off != s->size)
		return BAD(err, "OSC message at offset %zu has %zu bytes left over at offset %zu "
			   "after its %zu argument(s); the type tags must describe every byte",
			   s->base, s->size - off, s->base + off, argno);
	return 0;
}

static int check_packet(const struct span *s, int depth, struct wm_err *err);

/* One bundle element at off: int32 size > 0, multiple of 4, fitting, then
 * a packet of that size. Sets *next past it. */
static int check_element(const struct span *s, size_t off, int depth, size_t *next,
			 struct wm_err *err)
{
	size_t left = s->size - off;

	if (left < 4)
		return BAD(err, "OSC bundle element at offset %zu needs 4 bytes for its size "
			   "but only %zu remain", s->base + off, left);
	uint32_t n = be32(s->p + off);
	if (n == 0 || n > INT32_MAX || n % 4 != 0)
		return BAD(err, "OSC bundle element at offset %zu has size %lld; element sizes "
			   "are positive multiples of 4", s->base + off, as_int32(n));
	if (n > left - 4)
		return BAD(err, "OSC bundle element at offset %zu has size %u but only %zu "
			   "bytes follow", s->base + off, n, left - 4);
	struct span elem = { s->p + off + 4, n, s->base + off + 4 };
	if (check_packet(&elem, depth, err))
		return -1;
	*next = off + 4 + n;
	return 0;
}

static int check_bundle(const struct span *s, int depth, struct wm_err *err)
{
	if (depth > WM_OSC_MAX_DEPTH)
		return BAD(err, "OSC bundle at offset %zu is nested %d deep; the limit is %d",
			   s->base, depth, WM_OSC_MAX_DEPTH);
	if (s->size < BUNDLE_HEADER)
		return BAD(err, "OSC bundle at offset %zu is %zu bytes; a bundle needs at least "
			   "16 (\"#bundle\", NUL, 8-byte timetag)", s->base, s->size);
	size_t off = BUNDLE_HEADER;
	while (off < s->size) {
		if (check_element(s, off, depth, &off, err))
			return -1;
	}
	return 0;
}

/* depth: how many bundles enclose s. */
static int check_packet(const struct span *s, int depth, struct wm_err *err)
{
	if (wm_osc_is_bundle(s->p, s->size))
		return check_bundle(s, depth + 1, err);
	return check_message(s, err);
}

int wm_osc_validate(const void *data, size_t size, struct wm_err *err)
{
	if (size == 0 || !data)
		return BAD(err, "OSC packet is empty");
	if (size > WM_OSC_MAX_PACKET)
		return BAD(err, "OSC packet is %zu bytes; the limit is %d", size,
			   WM_OSC_MAX_PACKET);
	if (size % 4 != 0)
		return BAD(err, "OSC packet is %zu bytes; OSC sizes are multiples of 4", size);
	struct span whole = { data, size, 0 };
	return check_packet(&whole, 0, err);
}

bool wm_osc_is_bundle(const void *data, size_t size)
{
	return data && size >= sizeof BUNDLE_TAG &&
	       memcmp(data, BUNDLE_TAG, sizeof BUNDLE_TAG) == 0;
}

void wm_osc_bundle_begin(const void *data, size_t size, uint64_t *timetag,
			 struct wm_osc_bundle_iter *it)
{
	const uint8_t *p = data;

	if (size < BUNDLE_HEADER) {
		/* not a bundle: report no elements rather than read past it */
		*timetag = WM_OSC_IMMEDIATE;
		it->pos = it->end = p + size;
		return;
	}
	*timetag = (uint64_t)be32(p + 8) << 32 | be32(p + 12);
	it->pos = p + BUNDLE_HEADER;
	it->end = p + size;
}

bool wm_osc_bundle_next(struct wm_osc_bundle_iter *it, const void **elem, size_t *elem_size)
{
	size_t left = (size_t)(it->end - it->pos);

	if (left < 4)
		return false;
	uint32_t n = be32(it->pos);
	if (n > left - 4) {
		it->pos = it->end;
		return false;
	}
	*elem = it->pos + 4;
	*elem_size = n;
	it->pos += 4 + (size_t)n;
	return true;
}

const char *wm_osc_message_address(const void *data)
{
	return data;
}

const char *wm_osc_message_types(const void *data, size_t size)
{
	const uint8_t *p = data;
	const uint8_t *nul = memchr(p, 0, size);

	if (!nul)
		return NULL;
	size_t off = pad4((size_t)(nul - p) + 1);
	if (off >= size || p[off] != ',' || !memchr(p + off, 0, size - off))
		return NULL;
	return (const char *)p + off + 1;
}
