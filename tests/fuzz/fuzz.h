/* fuzz.h - what every fuzz harness shares: the libFuzzer entry point and
 * the property check. A harness is built twice: with clang's libFuzzer
 * (scripts/fuzz, WASHMIX_FUZZ=ON) and, in every gcc build, with replay.c's
 * main, which runs its corpus and regression inputs as a ctest. Harness
 * state lives on the harness's (single) thread. */
#ifndef WM_FUZZ_H
#define WM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken property is a crash, so libFuzzer keeps the input. */
#define FUZZ_CHECK(cond, ...)                                                   \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "fuzz property failed (%s:%d): ", __FILE__, \
				__LINE__);                                      \
			fprintf(stderr, __VA_ARGS__);                           \
			fputc('\n', stderr);                                    \
			abort();                                                \
		}                                                               \
	} while (0)

#endif
