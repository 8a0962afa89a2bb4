/*===- fixture_model.c - A hand-written model for runtime tests ---*- C -*-===*\
|*                                                                            *|
|* SPDX-License-Identifier: Apache-2.0                                        *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
/*
 * Stands in for a model compiled by qc-compile: it exports the three ABI
 * symbols described in qc/qc_runtime.h. The default build computes
 *
 *   inputs:  x float32 [2,3], k int8 [3]
 *   outputs: y float32 [2,3] = x * 2 + k   (k broadcast along rows)
 *            s int32   []    = sum(k)
 *
 * Variants, selected by a macro, exercise the runtime's checks:
 *
 *   QC_FIXTURE_BAD_SIGNATURE  a signature with a negative dimension
 *   QC_FIXTURE_BAD_ABI        reports model ABI version 2
 *   QC_FIXTURE_NO_INVOKE      does not export qc_model_invoke
 *   QC_FIXTURE_ENV            signature from $QC_FIXTURE_SIGNATURE (NULL if
 *                             unset), ABI version from $QC_FIXTURE_ABI
 *                             (default 1); qc_model_invoke does nothing
 */

#include <stdint.h>
#include <stdlib.h>

#define FIXTURE_EXPORT __attribute__((visibility("default")))

FIXTURE_EXPORT uint32_t qc_model_abi_version(void);
FIXTURE_EXPORT const char *qc_model_signature(void);
FIXTURE_EXPORT void qc_model_invoke(void **buffers);

#if defined(QC_FIXTURE_ENV)

uint32_t qc_model_abi_version(void) {
  const char *s = getenv("QC_FIXTURE_ABI");
  return s ? (uint32_t)strtoul(s, NULL, 10) : 1u;
}

const char *qc_model_signature(void) { return getenv("QC_FIXTURE_SIGNATURE"); }

void qc_model_invoke(void **buffers) { (void)buffers; }

#else

uint32_t qc_model_abi_version(void) {
#if defined(QC_FIXTURE_BAD_ABI)
  return 2;
#else
  return 1;
#endif
}

const char *qc_model_signature(void) {
  return "qc-signature 1\n"
         "model 7:fixture\n"
         "inputs 2\n"
#if defined(QC_FIXTURE_BAD_SIGNATURE)
         "1:x 1 2 2 -3\n"
#else
         "1:x 1 2 2 3\n"
#endif
         "1:k 3 1 3\n"
         "outputs 2\n"
         "1:y 1 2 2 3\n"
         "1:s 6 0\n";
}

#if !defined(QC_FIXTURE_NO_INVOKE)
void qc_model_invoke(void **buffers) {
  const float *x = (const float *)buffers[0];
  const int8_t *k = (const int8_t *)buffers[1];
  float *y = (float *)buffers[2];
  int32_t *s = (int32_t *)buffers[3];
  int i, j;
  for (i = 0; i < 2; ++i)
    for (j = 0; j < 3; ++j)
      y[i * 3 + j] = x[i * 3 + j] * 2.0f + (float)k[j];
  *s = (int32_t)k[0] + (int32_t)k[1] + (int32_t)k[2];
}
#endif

#endif
