/* check_osc_packet.c - control/osc_packet: what liblo 0.31 builds is
 * accepted and walked element by element; every rejection rule gives its
 * error text; the two liblo 0.31 over-read reproducers are refused; and,
 * differentially against liblo itself over 200,000 mutated packets,
 * "accepted => every message in it decodes". Run it in the ASan build too:
 * every packet under test lives in an exact-size heap block, so an
 * over-read by the validator or by liblo is reported. */
#include <check.h>
#include <lo/lo.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/osc_packet.h"

#include "tests/support/suite.h"

/* ---- helpers ---------------------------------------------------------- */

/* A copy in a heap block of exactly size bytes, so ASan sees any read past
 * the end (malloc(0) is avoided: size 0 gets one byte nobody may read). */
static uint8_t *exact_copy(const void *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);

	ck_assert_ptr_nonnull(copy);
	if (size)
		memcpy(copy, data, size);
	return copy;
}

/* Validate an exact-size copy of data. */
static int validate_copy(const void *data, size_t size, struct wm_err *err)
{
	uint8_t *copy = exact_copy(data, size);
	int r = wm_osc_validate(copy, size, err);

	free(copy);
	return r;
}

static void expect_ok(const void *data, size_t size)
{
	struct wm_err err = { 0 };

	ck_assert_msg(validate_copy(data, size, &err) == 0, "rejected: %s", err.msg);
}

static void expect_bad(const void *data, size_t size, const char *text)
{
	struct wm_err err = { 0 };

	ck_assert_int_eq(validate_copy(data, size, &err), -1);
	ck_assert_int_eq(err.code, WM_E_BAD_REQUEST);
	ck_assert_msg(strstr(err.msg, text), "error \"%s\" lacks \"%s\"", err.msg, text);
}

/* Argument values are copied out: liblo's lo_arg pointers are only 4-byte
 * aligned (RELIABILITY.md 2.1, finding 3). Reading every argument makes
 * liblo's view of the bytes count under ASan, not just its return code. */
static uint64_t touch_args(lo_message m)
{
	const char *types = lo_message_get_types(m);
	lo_arg **argv = lo_message_get_argv(m);
	uint64_t sum = 0;

	for (int i = 0; types[i]; i++) {
		uint64_t v = 0;
		if (strchr("ifcm", types[i]))
			memcpy(&v, (void *)argv[i], 4);
		else if (strchr("htd", types[i]))
			memcpy(&v, (void *)argv[i], 8);
		else if (strchr("sS", types[i]))
			v = strlen((const char *)(void *)argv[i]);
		else if (types[i] == 'b')
			v = (uint32_t)lo_blob_datasize((lo_blob)argv[i]);
		sum += v;
	}
	return sum;
}

/* The liblo half of the promise for one message the validator accepted:
 * it decodes, with the same type tags the accessor reports. */
static void check_liblo_decodes(const uint8_t *msg, size_t size)
{
	uint8_t *copy = exact_copy(msg, size);
	int res = -1;
	lo_message m = lo_message_deserialise(copy, size, &res);

	ck_assert_msg(m != NULL, "liblo refused an accepted message (error %d)", res);
	ck_assert_int_eq(res, 0);
	const char *types = wm_osc_message_types(copy, size);
	ck_assert_ptr_nonnull(types);
	ck_assert_str_eq(lo_message_get_types(m), types);
	ck_assert_int_eq(lo_message_get_argc(m), (int)strlen(types));
	ck_assert_str_eq(wm_osc_message_address(copy), (const char *)copy);
	static volatile uint64_t sink;
	sink += touch_args(m);
	lo_message_free(m);
	free(copy);
}

/* Walk an accepted packet down to its messages; each must decode. Returns
 * how many messages it holds. */
static int check_leaves(const uint8_t *data, size_t size, int depth)
{
	ck_assert_int_le(depth, WM_OSC_MAX_DEPTH);
	if (!wm_osc_is_bundle(data, size)) {
		check_liblo_decodes(data, size);
		return 1;
	}
	struct wm_osc_bundle_iter it;
	uint64_t tt;
	const void *elem;
	size_t elem_size;
	int leaves = 0;

	wm_osc_bundle_begin(data, size, &tt, &it);
	while (wm_osc_bundle_next(&it, &elem, &elem_size))
		leaves += check_leaves(elem, elem_size, depth + 1);
	ck_assert_ptr_eq(it.pos, data + size);   /* walked every byte */
	return leaves;
}

static uint8_t *serialise_msg(lo_message m, const char *path, size_t *size)
{
	uint8_t *out = lo_message_serialise(m, path, NULL, size);

	ck_assert_ptr_nonnull(out);
	return out;
}

/* A message holding one argument of every accepted tag. */
static lo_message every_tag_message(int variant)
{
	lo_message m = lo_message_new();
	uint8_t midi[4] = { 0x90, 0x3c, 0x7f, (uint8_t)variant };
	uint8_t bytes[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	lo_blob blob = lo_blob_new(1 + variant % 9, bytes);
	static const char *const strs[] = { "", "a", "ab", "abc", "abcd", "abcde" };
	int r = lo_message_add(m, WM_OSC_TAGS, -variant, 0.5 * variant, strs[variant % 6],
			       strs[(variant + 3) % 6], blob, -1234567890123LL * variant,
			       (lo_timetag){ 0x83aa7e80u + (uint32_t)variant, 1u },
			       -0.25 * variant, 'A' + variant % 26, midi);

	ck_assert_int_eq(r, 0);
	lo_blob_free(blob);
	return m;
}

/* ---- accepted: what liblo builds ------------------------------------- */

START_TEST(every_tag_from_liblo)
{
	for (int v = 0; v < 12; v++) {
		lo_message m = every_tag_message(v);
		size_t size;
		uint8_t *p = serialise_msg(m, "/mixer/ch/1/gain", &size);

		expect_ok(p, size);
		ck_assert_str_eq(wm_osc_message_address(p), "/mixer/ch/1/gain");
		ck_assert_str_eq(wm_osc_message_types(p, size), WM_OSC_TAGS);
		ck_assert(!wm_osc_is_bundle(p, size));
		check_liblo_decodes(p, size);
		free(p);
		lo_message_free(m);
	}
}
END_TEST

START_TEST(string_and_blob_padding)
{
	/* Lengths 0..5 cover every padding case, alone and as the last
	 * argument, and "/" is the shortest address. */
	static const char *const strs[] = { "", "a", "ab", "abc", "abcd", "abcde" };
	for (int i = 0; i < 18; i++) {
		lo_message m = lo_message_new();
		lo_blob b = lo_blob_new(i % 6 + 1, "abcdef");
		if (i < 6)
			lo_message_add_string(m, strs[i % 6]);
		else if (i < 12)
			lo_message_add_symbol(m, strs[i % 6]);
		else
			lo_message_add_blob(m, b);
		size_t size;
		uint8_t *p = serialise_msg(m, i % 6 ? "/abc" : "/", &size);
		expect_ok(p, size);
		check_liblo_decodes(p, size);
		free(p);
		lo_blob_free(b);
		lo_message_free(m);
	}
	/* No arguments; a zero-length blob, which lo_blob_new cannot make. */
	expect_ok("/a\0\0,\0\0\0", 8);
	ck_assert_str_eq(wm_osc_message_types("/a\0\0,\0\0\0", 8), "");
	expect_ok("/a\0\0,b\0\0\0\0\0\0", 12);
}
END_TEST

START_TEST(limits)
{
	char addr[WM_OSC_MAX_ADDRESS + 2];
	lo_message m = lo_message_new();
	size_t size;

	memset(addr, 'x', sizeof addr);
	addr[0] = '/';
	addr[WM_OSC_MAX_ADDRESS] = '\0';
	uint8_t *p = serialise_msg(m, addr, &size);
	expect_ok(p, size);
	free(p);
	addr[WM_OSC_MAX_ADDRESS] = 'x';
	addr[WM_OSC_MAX_ADDRESS + 1] = '\0';
	p = serialise_msg(m, addr, &size);
	expect_bad(p, size, "OSC address at offset 0 is longer than 255 characters");
	free(p);
	lo_message_free(m);

	/* One string filling the largest packet, then one word too many. */
	uint8_t *big = calloc(1, WM_OSC_MAX_PACKET + 4);
	ck_assert_ptr_nonnull(big);
	memcpy(big, "/a\0\0,s\0\0", 9);   /* the NUL is overwritten next */
	memset(big + 8, 's', WM_OSC_MAX_PACKET - 8 - 1);
	expect_ok(big, WM_OSC_MAX_PACKET);
	expect_bad(big, WM_OSC_MAX_PACKET + 4, "OSC packet is 65540 bytes; the limit is 65536");
	free(big);
}
END_TEST

static void expect_element(struct wm_osc_bundle_iter *it, const uint8_t *want, size_t size)
{
	const void *e;
	size_t es;

	ck_assert(wm_osc_bundle_next(it, &e, &es));
	ck_assert_uint_eq(es, size);
	ck_assert_mem_eq(e, want, size);
}

/* A bundle of three messages inside a bundle with one more message: the
 * walker yields exactly the bytes liblo serialised for each, in order. */
START_TEST(bundles_from_liblo)
{
	lo_bundle outer = lo_bundle_new((lo_timetag){ 0x12345678u, 0x9abcdef0u });
	lo_bundle inner = lo_bundle_new(LO_TT_IMMEDIATE);
	static const char *const paths[] = { "/a", "/mixer/zone/2/mute", "/abc", "/last" };
	uint8_t *want[4];
	size_t want_size[4];

	for (int i = 0; i < 4; i++) {
		lo_message m = every_tag_message(i);
		want[i] = serialise_msg(m, paths[i], &want_size[i]);
		lo_bundle_add_message(i < 3 ? inner : outer, paths[i], m);
		if (i == 0)
			lo_bundle_add_bundle(outer, inner);
	}
	size_t size;
	uint8_t *p = lo_bundle_serialise(outer, NULL, &size);
	ck_assert_ptr_nonnull(p);
	expect_ok(p, size);
	ck_assert(wm_osc_is_bundle(p, size));
	ck_assert_int_eq(check_leaves(p, size, 0), 4);

	struct wm_osc_bundle_iter it, in;
	uint64_t tt;
	const void *e;
	size_t es;
	wm_osc_bundle_begin(p, size, &tt, &it);
	ck_assert_uint_eq(tt, 0x123456789abcdef0ULL);
	ck_assert(wm_osc_bundle_next(&it, &e, &es));
	ck_assert(wm_osc_is_bundle(e, es));
	wm_osc_bundle_begin(e, es, &tt, &in);
	ck_assert_uint_eq(tt, WM_OSC_IMMEDIATE);
	for (int i = 0; i < 3; i++)
		expect_element(&in, want[i], want_size[i]);
	ck_assert(!wm_osc_bundle_next(&in, &e, &es));
	expect_element(&it, want[3], want_size[3]);
	ck_assert(!wm_osc_bundle_next(&it, &e, &es));
	ck_assert(!wm_osc_bundle_next(&it, &e, &es));   /* stays at the end */
	for (int i = 0; i < 4; i++)
		free(want[i]);
	free(p);
	lo_bundle_free_recursive(outer);
}
END_TEST

/* depth bundles, each the first element of the one around it. */
static uint8_t *nested_bundles(int depth, size_t *size)
{
	lo_bundle top = lo_bundle_new(LO_TT_IMMEDIATE);
	lo_bundle b = top;

	for (int i = 1; i < depth; i++) {
		lo_bundle sub = lo_bundle_new(LO_TT_IMMEDIATE);
		lo_bundle_add_bundle(b, sub);
		b = sub;
	}
	lo_message m = lo_message_new();
	lo_message_add_int32(m, depth);
	lo_bundle_add_message(b, "/deep", m);
	uint8_t *p = lo_bundle_serialise(top, NULL, size);
	ck_assert_ptr_nonnull(p);
	lo_bundle_free_recursive(top);
	return p;
}

START_TEST(nesting_depth)
{
	size_t size;
	uint8_t *p = nested_bundles(WM_OSC_MAX_DEPTH, &size);

	expect_ok(p, size);
	ck_assert_int_eq(check_leaves(p, size, 0), 1);
	free(p);
	/* Each level starts 20 bytes into the one around it. */
	p = nested_bundles(WM_OSC_MAX_DEPTH + 1, &size);
	expect_bad(p, size, "OSC bundle at offset 80 is nested 5 deep; the limit is 4");
	free(p);

	/* An empty bundle is legal OSC and walks as nothing. */
	lo_bundle b = lo_bundle_new(LO_TT_IMMEDIATE);
	p = lo_bundle_serialise(b, NULL, &size);
	ck_assert_uint_eq(size, 16);
	expect_ok(p, size);
	ck_assert_int_eq(check_leaves(p, size, 0), 0);
	free(p);
	lo_bundle_free(b);
}
END_TEST

/* ---- rejected: one hand-built packet per rule ------------------------ */

struct bad_case {
	const char *bytes;
	size_t size;
	const char *text;
};

#define P(lit) lit, sizeof(lit) - 1
#define TT "\0\0\0\0\0\0\0\x01"

static const struct bad_case bad_cases[] = {
	{ "", 0, "OSC packet is empty" },
	{ P("/a\0\0,i\0\0\0\0\0\x01" "x"), "OSC packet is 13 bytes; OSC sizes are multiples of 4" },
	{ P("a\0\0\0,\0\0\0"), "at offset 0 starts with 'a'; a message address starts with '/'" },
	{ P("\x80" "a\0\0,\0\0\0"), "OSC packet at offset 0 starts with 0x80" },
	{ P("/a b\0\0\0\0,\0\0\0"), "OSC address has byte 0x20 at offset 2; addresses are "
				    "printable ASCII without spaces (0x21-0x7e)" },
	{ P("/a\x7f\0,\0\0\0"), "OSC address has byte 0x7f at offset 2" },
	{ P("/a\tb\0\0\0\0,\0\0\0"), "OSC address has byte 0x09 at offset 2" },
	{ P("/abc"), "OSC address at offset 0 is not NUL-terminated within the 4-byte packet" },
	{ P("/a\0x,\0\0\0"), "OSC address: non-zero padding byte 0x78 at offset 3; OSC pads" },
	{ P("/abc\0\0\0\0"), "at offset 0 has no type tag string after its address (pre-1.0" },
	{ P("/a\0\0i\0\0\0\0\0\0\0"), "OSC type tag string at offset 4 starts with 'i', not ','" },
	{ P("/a\0\0,iii"), "OSC type tag string at offset 4 is not NUL-terminated" },
	{ P("/a\0\0,\0\0x"), "OSC type tag string: non-zero padding byte 0x78 at offset 7" },
	{ P("/a\0\0,r\0\0\0\0\0\0"), "OSC type tag 'r' at offset 5 (argument 1) is not "
				     "supported; allowed: i f s S b h t d c m T F N I" },
	{ P("/a\0\0,[i]\0\0\0\0\0\0\0\0"), "OSC type tag '[' at offset 5 (argument 1)" },
	{ P("/a\0\0,ix\0\0\0\0\0"), "OSC type tag 'x' at offset 6 (argument 2)" },
	{ P("/a\0\0,\x01\0\0"), "OSC type tag 0x01 at offset 5 (argument 1)" },
	{ P("/a\0\0,i\0\0"), "argument 1 ('i') at offset 8 needs 4 bytes but only 0 remain" },
	{ P("/a\0\0,id\0\0\0\0\0\0\0\0\0"), "argument 2 ('d') at offset 12 needs 8 bytes but" },
	{ P("/a\0\0,s\0\0abcd"), "argument 1 ('s') at offset 8 is not NUL-terminated" },
	{ P("/a\0\0,S\0\0ab\0x"), "argument 1 ('S'): non-zero padding byte 0x78 at offset 11" },
	{ P("/a\0\0,b\0\0"), "('b') at offset 8 needs 4 bytes for its length but only 0" },
	{ P("/a\0\0,b\0\0\xff\xff\xff\xfc"), "at offset 8 has length -4; blob lengths are 0 or" },
	{ P("/a\0\0,b\0\0\0\0\0\x08" "abcd"), "at offset 8 declares 8 data bytes but only 4" },
	{ P("/a\0\0,b\0\0\0\0\0\x01" "xy\0\0"), "('b'): non-zero padding byte 0x79 at offset 13" },
	{ P("/a\0\0,i\0\0\0\0\0\x01\0\0\0\0"), "at offset 0 has 4 bytes left over at offset 12" },
	{ P("/a\0\0,\0\0\0abcd"), "has 4 bytes left over at offset 8 after its 0 argument(s)" },
	{ P("#bundle\0\0\0\0\0"), "OSC bundle at offset 0 is 12 bytes; a bundle needs at least" },
	{ P("#bundle\0" TT "\0\0\0\0"), "OSC bundle element at offset 16 has size 0; element "
					"sizes are positive multiples of 4" },
	{ P("#bundle\0" TT "\0\0\0\x06/a\0\0,\0\0\0"), "element at offset 16 has size 6;" },
	{ P("#bundle\0" TT "\xff\xff\xff\xfc/a\0\0,\0\0\0"), "at offset 16 has size -4;" },
	{ P("#bundle\0" TT "\0\0\0\x10/a\0\0,\0\0\0"), "size 16 but only 8 bytes follow" },
	{ P("#bundle\0" TT "\0\0\0\x08/a\0\0,\0\0\0\0\0\0\x08"), "offset 28 has size 8 but" },
	{ P("#bundle\0" TT "\0\0\0\x0c/a\0\0,r\0\0\0\0\0\0"), "tag 'r' at offset 25 (argument" },
	{ P("#bundle\0" TT "\0\0\0\x10#bundlx\0" TT), "OSC packet at offset 20 starts with '#'; "
						      "a message address starts with '/' (a "
						      "bundle with \"#bundle\")" },
	{ P("#bundle\0" TT "\0\0\0\x0c#bundle\0\0\0\0\0"), "OSC bundle at offset 20 is 12 bytes" },
};

START_TEST(rejected)
{
	const struct bad_case *c = &bad_cases[_i];

	expect_bad(c->bytes, c->size, c->text);
}
END_TEST

/* RELIABILITY.md 2.1: liblo 0.31 heap over-reads, found by fuzzing. */
static const uint8_t repro_blob[27] = {   /* lo_validate_blob_overread.hex */
	0x2f, 0x70, 0x72, 0x65, 0x73, 0x65, 0x74, 0x2f, 0x6c, 0x6f, 0x61, 0x64, 0x00, 0x00,
	0x00, 0x00, 0x2c, 0x62, 0x6d, 0x74, 0x05, 0x00, 0x00, 0x00, 0x90, 0x3c, 0x02,
};
static const uint8_t repro_bundle[20] = {   /* dispatch_data_strcmp_overread.hex */
	0x23, 0x62, 0x75, 0x6e, 0x64, 0x6c, 0x65, 0x00, 0xff, 0xff, 0xff, 0x00, 0x2f, 0x9f,
	0x2d, 0x62, 0x00, 0x00, 0x00, 0x00,
};

START_TEST(liblo_reproducers)
{
	uint8_t padded[28] = { 0 };

	expect_bad(repro_blob, sizeof repro_blob,
		   "OSC packet is 27 bytes; OSC sizes are multiples of 4");
	expect_bad(repro_bundle, sizeof repro_bundle,
		   "OSC bundle element at offset 16 has size 0");
	/* Padded to a legal size it still fails, on its garbage tag. */
	memcpy(padded, repro_blob, sizeof repro_blob);
	expect_bad(padded, sizeof padded, "OSC type tag 0x05 at offset 20 (argument 4)");
}
END_TEST

START_TEST(accessors_on_bad_input)
{
	struct wm_osc_bundle_iter it;
	uint64_t tt = 0;
	const void *e;
	size_t es;

	ck_assert(wm_osc_is_bundle("#bundle\0", 8));
	ck_assert(!wm_osc_is_bundle("#bundle\0", 7));
	ck_assert(!wm_osc_is_bundle("#bundlex", 8));
	ck_assert(!wm_osc_is_bundle(NULL, 0));
	ck_assert_ptr_null(wm_osc_message_types("/abc", 4));
	ck_assert_ptr_null(wm_osc_message_types("/abc\0\0\0\0", 8));
	ck_assert_ptr_null(wm_osc_message_types("/a\0\0,iii", 8));
	ck_assert_int_eq(wm_osc_validate(NULL, 0, NULL), -1);   /* err may be NULL */

	/* The walker never trusts a size that does not fit. */
	uint8_t *lying = exact_copy("#bundle\0" TT "\0\0\0\x10/a\0\0,\0\0\0", 28);
	wm_osc_bundle_begin(lying, 28, &tt, &it);
	ck_assert_uint_eq(tt, WM_OSC_IMMEDIATE);
	ck_assert(!wm_osc_bundle_next(&it, &e, &es));
	free(lying);
	uint8_t *shorty = exact_copy("#bundle\0\0\0\0\0", 12);
	tt = 0;
	wm_osc_bundle_begin(shorty, 12, &tt, &it);
	ck_assert_uint_eq(tt, WM_OSC_IMMEDIATE);
	ck_assert(!wm_osc_bundle_next(&it, &e, &es));
	free(shorty);
}
END_TEST

/* ---- differential: accepted => liblo decodes ------------------------- */

#define MUTANTS 200000
#define SCRATCH (4096 + 64)

static uint64_t rng_state;

static uint64_t rng(void)   /* xorshift64*: fixed seed, same run every time */
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static size_t below(size_t n)
{
	return n ? (size_t)(rng() % n) : 0;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Rewrite an aligned word, where OSC keeps its length fields, with a value
 * near what a length could plausibly be. */
static void mutate_word(uint8_t *p, size_t n)
{
	static const uint32_t odd[] = { 0, 1, 3, 4, 8, 0x7fffffff, 0x80000000, 0xffffffff,
					0xfffffffc };
	if (n < 4)
		return;
	size_t at = below(n / 4) * 4;
	uint32_t old = (uint32_t)p[at] << 24 | (uint32_t)p[at + 1] << 16 |
		       (uint32_t)p[at + 2] << 8 | p[at + 3];
	uint32_t v;
	switch (below(4)) {
	case 0: v = odd[below(sizeof odd / sizeof odd[0])]; break;
	case 1: v = old + (uint32_t)below(9) - 4; break;
	case 2: v = (uint32_t)(n - at) - (uint32_t)below(12); break;
	default: v = (uint32_t)rng(); break;
	}
	put_be32(p + at, v);
}

static size_t mutate(uint8_t *p, size_t n)
{
	static const char bytes[] = "\0,/#ifsSbhtdcmTFNIr[]x ";
	switch (below(6)) {
	case 0:                                 /* bit flips */
		for (size_t k = 1 + below(3); k > 0 && n > 0; k--)
			p[below(n)] ^= (uint8_t)(1u << below(8));
		return n;
	case 1:                                 /* truncation, mostly aligned */
		n = below(n + 1);
		return below(4) ? n & ~(size_t)3 : n;
	case 2:
		mutate_word(p, n);
		return n;
	case 3:                                 /* a byte OSC gives meaning to */
		if (n > 0)
			p[below(n)] = (uint8_t)bytes[below(sizeof bytes - 1)];
		return n;
	case 4:                                 /* drop an aligned word */
		if (n >= 4) {
			size_t at = below(n / 4) * 4;
			memmove(p + at, p + at + 4, n - at - 4);
			n -= 4;
		}
		return n;
	default:                                /* grow: insert an aligned word */
		if (n + 4 <= SCRATCH) {
			size_t at = below(n / 4 + 1) * 4;
			memmove(p + at + 4, p + at, n - at);
			put_be32(p + at, below(2) ? 0 : (uint32_t)rng());
			n += 4;
		}
		return n;
	}
}

struct seed {
	uint8_t *data;
	size_t size;
};

static int make_seeds(struct seed *seeds)
{
	int n = 0;
	for (int v = 0; v < 4; v++) {
		lo_message m = every_tag_message(v);
		seeds[n].data = serialise_msg(m, "/mixer/ch/3/eq/lo", &seeds[n].size);
		n++;
		lo_message_free(m);
	}
	lo_message m = lo_message_new();
	lo_message_add_string(m, "gain");
	lo_message_add_float(m, -6.0f);
	seeds[n].data = serialise_msg(m, "/set", &seeds[n].size);
	n++;
	lo_message_free(m);
	for (int depth = 1; depth <= WM_OSC_MAX_DEPTH; depth++) {
		seeds[n].data = nested_bundles(depth, &seeds[n].size);
		n++;
	}
	lo_bundle b = lo_bundle_new((lo_timetag){ 0xe0000000u, 0 });
	for (int v = 0; v < 3; v++)
		lo_bundle_add_message(b, "/b", every_tag_message(v));
	seeds[n].data = lo_bundle_serialise(b, NULL, &seeds[n].size);
	n++;
	lo_bundle_free_recursive(b);
	return n;
}

static void dump_hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%02x%s", p[i], i % 16 == 15 ? "\n" : " ");
	fputc('\n', stderr);
}

START_TEST(differential_with_liblo)
{
	struct seed seeds[16];
	int nseeds = make_seeds(seeds);
	uint8_t *scratch = malloc(SCRATCH);
	long accepted = 0, leaves = 0, bundles = 0;

	ck_assert_ptr_nonnull(scratch);
	rng_state = 0x5eed0badc0ffee01ULL;
	for (long k = 0; k < MUTANTS; k++) {
		const struct seed *s = &seeds[below((size_t)nseeds)];
		ck_assert_uint_le(s->size, SCRATCH);
		memcpy(scratch, s->data, s->size);
		size_t n = s->size;
		for (size_t ops = 1 + below(3); ops > 0; ops--)
			n = mutate(scratch, n);

		uint8_t *p = exact_copy(scratch, n);
		struct wm_err err = { 0 };
		if (wm_osc_validate(p, n, &err) == 0) {
			accepted++;
			bundles += wm_osc_is_bundle(p, n);
			/* Any failure below: this mutant is the reproducer. */
			if (getenv("WM_OSC_DUMP"))
				dump_hex(p, n);
			leaves += check_leaves(p, n, 0);
		} else {
			ck_assert_int_eq(err.code, WM_E_BAD_REQUEST);
			ck_assert_msg(strncmp(err.msg, "OSC ", 4) == 0, "odd error: %s", err.msg);
		}
		free(p);
	}
	fprintf(stderr, "osc_packet: %d mutants, %ld accepted (%ld bundles), %ld messages "
		"decoded by liblo\n", MUTANTS, accepted, bundles, leaves);
	/* The property must not hold vacuously. */
	ck_assert_int_gt(accepted, MUTANTS / 100);
	ck_assert_int_gt(bundles, MUTANTS / 1000);
	for (int i = 0; i < nseeds; i++)
		free(seeds[i].data);
	free(scratch);
}
END_TEST

static Suite *osc_packet_suite(void)
{
	Suite *s = suite_create("osc_packet");
	TCase *tc = tcase_create("accept");

	tcase_add_test(tc, every_tag_from_liblo);
	tcase_add_test(tc, string_and_blob_padding);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, bundles_from_liblo);
	tcase_add_test(tc, nesting_depth);
	suite_add_tcase(s, tc);

	TCase *rej = tcase_create("reject");
	tcase_add_loop_test(rej, rejected, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
	tcase_add_test(rej, liblo_reproducers);
	tcase_add_test(rej, accessors_on_bad_input);
	suite_add_tcase(s, rej);

	TCase *diff = tcase_create("differential");
	tcase_set_timeout(diff, 60);
	tcase_add_test(diff, differential_with_liblo);
	suite_add_tcase(s, diff);
	return s;
}

int main(void)
{
	return wm_t_run_suite(osc_packet_suite());
}
