/*===- runtime_fuzz_model.c - A model whose signature the fuzzer sets -----===*\
|*                                                                            *|
|* SPDX-License-Identifier: Apache-2.0                                        *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
/*
 * Loaded by runtime_fuzzer through qc_model_open(). It exports the three ABI
 * symbols of a compiled model, but its signature text and what its
 * qc_model_invoke does are set by the fuzzer (through the two setters, which
 * the fuzzer finds with dlsym on the same library).
 */

#include <stddef.h>
#include <stdint.h>

#define FUZZ_EXPORT __attribute__((visibility("default")))

FUZZ_EXPORT uint32_t qc_model_abi_version(void);
FUZZ_EXPORT const char *qc_model_signature(void);
FUZZ_EXPORT void qc_model_invoke(void **buffers);
FUZZ_EXPORT void qc_fuzz_set_signature(const char *text);
FUZZ_EXPORT void qc_fuzz_set_invoke(void (*fn)(void **buffers));

static const char *g_signature;
static void (*g_invoke)(void **buffers);

uint32_t qc_model_abi_version(void) { return 1; }

const char *qc_model_signature(void) { return g_signature; }

void qc_model_invoke(void **buffers) {
  if (g_invoke)
    g_invoke(buffers);
}

void qc_fuzz_set_signature(const char *text) { g_signature = text; }

void qc_fuzz_set_invoke(void (*fn)(void **buffers)) { g_invoke = fn; }
