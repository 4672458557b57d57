/* fuzz_osc.c - fuzz harness for OSC input: each input is one UDP datagram,
 * handed to the real OSC server (control/osc.c) as its receive loop would:
 * the strict prefilter (control/osc_packet.c), liblo's decoding, then the
 * real handlers, parameter tree, command table and engine. Replies go to a
 * loopback port nobody listens on. Properties: a datagram the prefilter
 * accepts decodes in liblo, message by message (the differential check of
 * RELIABILITY.md 2.2; liblo 0.31 over-reads on some it should refuse), a
 * refused datagram changes nothing, and the server never counts an
 * accepted datagram as malformed. */
#include <arpa/inet.h>
#include <lo/lo.h>
#include <netinet/in.h>
#include <string.h>

#include "common/err.h"
#include "control/commands.h"
#include "control/loop.h"
#include "control/osc.h"
#include "control/osc_packet.h"
#include "control/osc_send.h"
#include "control/tree.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fuzz_mix.h"

/* Every message of an accepted packet, nested bundles included, must
 * decode in liblo. */
static void check_liblo_decodes(const void *data, size_t size, int depth)
{
	if (!wm_osc_is_bundle(data, size)) {
		int result = 0;
		lo_message msg = lo_message_deserialise((void *)data, size, &result);
		FUZZ_CHECK(msg, "prefilter accepted a message liblo refuses (error %d, %zu bytes)",
			   result, size);
		lo_message_free(msg);
		return;
	}
	FUZZ_CHECK(depth <= WM_OSC_MAX_DEPTH, "accepted bundles nested %d deep", depth);
	uint64_t timetag;
	struct wm_osc_bundle_iter it;
	const void *elem;
	size_t elem_size;
	wm_osc_bundle_begin(data, size, &timetag, &it);
	while (wm_osc_bundle_next(&it, &elem, &elem_size))
		check_liblo_decodes(elem, elem_size, depth + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wm_cmd_env env;
	static struct fuzz_snapshot before;
	static struct wm_mix mix;
	struct wm_err err = { 0 };
	/* A fresh loop, tree and server for every input, so an input's outcome
	 * does not depend on the ones before it (and the loop, which is never
	 * run here, never piles up removed descriptors); the engine once. */
	struct wm_loop *loop = wm_loop_create();
	FUZZ_CHECK(loop, "cannot create the loop");
	fuzz_default_mix(&mix);
	struct wm_tree *tree = wm_tree_create(&mix, 20.0);
	FUZZ_CHECK(tree, "cannot set up the tree");
	wm_tree_attach_engine(tree, fuzz_engine());
	env = (struct wm_cmd_env){ .tree = tree };
	/* Unlimited rate, so the budget never hides a handler from the fuzzer. */
	struct wm_osc_config config = { .bind = "127.0.0.1", .port = 0,
					.access = { .rate = 0, .burst = 1 } };
	struct wm_osc *osc = wm_osc_create(loop, &config, &env, &err);
	FUZZ_CHECK(osc, "cannot open the OSC server: %s", err.msg);

	struct wm_osc_peer peer = { .len = sizeof(struct sockaddr_in) };
	struct sockaddr_in *sin = (struct sockaddr_in *)&peer.addr;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(9);  /* discard: replies go nowhere */
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	bool accepted = wm_osc_validate(data, size, NULL) == 0;
	if (accepted)
		check_liblo_decodes(data, size, wm_osc_is_bundle(data, size) ? 1 : 0);

	fuzz_snapshot_take(wm_tree_mix(tree), &before);
	struct wm_osc_stats st;
	wm_osc_handle_datagram(osc, &peer, data, size);
	wm_osc_get_stats(osc, &st);
	FUZZ_CHECK(accepted || fuzz_snapshot_same(wm_tree_mix(tree), &before),
		   "a datagram the prefilter refused changed the parameter tree");
	FUZZ_CHECK(accepted == (st.malformed == 0),
		   "prefilter %s the datagram but the server counted %llu malformed",
		   accepted ? "accepted" : "refused", (unsigned long long)st.malformed);
	fuzz_run_engine();

	wm_osc_destroy(osc);
	wm_loop_destroy(loop);
	wm_tree_attach_engine(tree, NULL);
	wm_tree_destroy(tree);
	return 0;
}
