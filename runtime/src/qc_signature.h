/*===- qc_signature.h - Model signature parser (internal) ---------*- C -*-===*\
|*                                                                            *|
|* SPDX-License-Identifier: Apache-2.0                                        *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
/*
 * Internal to the runtime: the parsed form of a model signature (see the
 * format in qc/qc_runtime.h) and the parser that produces it.
 */

#ifndef QC_RUNTIME_SRC_QC_SIGNATURE_H
#define QC_RUNTIME_SRC_QC_SIGNATURE_H

#include "qc/qc_runtime.h"

#include <stddef.h>
#include <stdint.h>

/** Largest rank a signature may declare. */
#define QC_MAX_RANK 16
/** Largest number of inputs (and, separately, outputs) a signature may list. */
#define QC_MAX_TENSORS 65536
/** Longest signature text accepted, in bytes. */
#define QC_MAX_SIGNATURE_BYTES (64u * 1024u * 1024u)

/** One input or output of a model. */
typedef struct qc_tensor_desc {
  char *name;      /**< NUL-terminated, owned */
  size_t name_len; /**< strlen(name) */
  qc_dtype_t dtype;
  int32_t rank;
  int64_t shape[QC_MAX_RANK];
  size_t num_elements;
  size_t num_bytes; /**< num_elements * qc_dtype_size(dtype), no overflow */
} qc_tensor_desc_t;

/** A parsed signature. */
typedef struct qc_signature {
  char *model_name; /**< NUL-terminated, owned */
  size_t num_inputs;
  size_t num_outputs;
  qc_tensor_desc_t *tensors; /**< inputs, then outputs */
} qc_signature_t;

/**
 * Parses `text` (NUL-terminated, at most QC_MAX_SIGNATURE_BYTES long) into
 * `*sig`. On failure returns QC_ERROR_ABI or QC_ERROR_OUT_OF_MEMORY, writes a
 * message into `err` (of `err_size` bytes) and leaves `*sig` empty.
 */
qc_status_t qc_internal_signature_parse(const char *text, size_t length,
                                        qc_signature_t *sig, char *err,
                                        size_t err_size);

/**
 * Writes to `out` a printable rendering of the `n` bytes at `s`: at most `max`
 * of them, with non-printable bytes and '\\' as \\xNN and "..." appended when
 * cut short. Always NUL-terminates a non-empty `out`.
 */
void qc_internal_escape(char *out, size_t out_size, const char *s, size_t n,
                        size_t max);

/**
 * Writes "[d0,d1,...]" for the first `rank` entries of `shape` into `buf`,
 * ending in ",...]" if it does not fit. Always NUL-terminates a non-empty
 * `buf`.
 */
void qc_internal_format_shape(char *buf, size_t size, const int64_t *shape,
                              int32_t rank);

/** Frees what qc_internal_signature_parse() allocated; `*sig` becomes empty. */
void qc_internal_signature_free(qc_signature_t *sig);

#endif /* QC_RUNTIME_SRC_QC_SIGNATURE_H */
