/*===- qc_runtime.h - qc model runtime C API ----------------------*- C -*-===*\
|*                                                                            *|
|* SPDX-License-Identifier: Apache-2.0                                        *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
/*
 * Loads models compiled by qc-compile (model.so) and runs them on
 * caller-owned buffers. Plain C99; no LLVM/MLIR dependency.
 *
 * A compiled model exports three symbols (QC_MODEL_ABI_VERSION 1):
 *
 *   uint32_t    qc_model_abi_version(void);
 *   const char *qc_model_signature(void);
 *   void        qc_model_invoke(void **buffers);
 *
 * `qc_model_invoke` takes one pointer per input, then one per output, in
 * signature order; each points to a dense row-major buffer of the declared
 * dtype and shape. It does not validate anything: use qc_model_run(), which
 * checks names, dtypes, shapes and sizes first.
 *
 * Models also export (optional symbols; qc_model_run() uses them when
 * present):
 *
 *   uint64_t    qc_model_workspace_size(void);
 *   void        qc_model_invoke_ws(void **buffers, void *workspace);
 *
 * The model's intermediate tensors live in a workspace whose layout the
 * compiler planned; `qc_model_invoke_ws` runs on a caller workspace of
 * qc_model_workspace_size() bytes, 64-byte aligned (NULL when the size is
 * 0), which must not be shared by concurrent calls. `qc_model_invoke`
 * allocates one per call, and if that allocation fails it returns without
 * running (the outputs are left untouched). qc_model_run() keeps workspaces
 * between calls, one per concurrent caller, and reports an allocation
 * failure as QC_ERROR_OUT_OF_MEMORY.
 *
 * The signature is ASCII text, one item per line, names length-prefixed so
 * that they may hold any byte but NUL and newline:
 *
 *   qc-signature 1
 *   model <len>:<name>
 *   inputs <count>
 *   <len>:<name> <dtype> <rank> <dim0> ... <dimN-1>     (count lines)
 *   outputs <count>
 *   <len>:<name> <dtype> <rank> <dim0> ... <dimN-1>     (count lines)
 *
 * where <dtype> is a qc_dtype_t value.
 *
 * A model compiled for an NVIDIA GPU (qc-compile --target=cuda) takes and
 * returns host buffers like any other (it copies inputs to the GPU, runs
 * there and copies the outputs back) and also exports
 *
 *   int32_t qc_model_device_init(char *message, size_t size);
 *   int32_t qc_model_device_status(char *message, size_t size);
 *
 * which qc_model_open() and qc_model_run() call: opening such a model where
 * the CUDA driver or a suitable GPU is missing fails with QC_ERROR_DEVICE
 * and the reason in qc_last_error(), and so does a run whose GPU work
 * failed (device errors are sticky, as in CUDA).
 *
 * Guarantees (tested by unittests/Runtime/model_guard_test.c on compiled
 * models and by fuzz/runtime_fuzzer.cpp; see docs/robustness.md):
 *
 *  - qc_model_open() checks the ABI version and every field of the signature
 *    (counts, lengths, dtypes, ranks, dimensions, byte counts without
 *    overflow) before it returns a handle.
 *  - qc_model_run() validates every tensor before the model runs: the count,
 *    names (each once), dtypes, ranks, dimensions, non-NULL pointers, buffer
 *    sizes, and that no output overlaps an input or another output. A call
 *    that fails returns a status and a qc_last_error() message, has not run
 *    the model and has written nothing to the caller's buffers.
 *  - A model reads only the first element-count * qc_dtype_size() bytes of
 *    each input buffer and writes only as many bytes of each output buffer,
 *    whatever the input values (NaN, Inf, any integer; Gather indices out of
 *    range are clamped). Buffers need only their element type's alignment.
 *  - Input values are not checked: they are computed with as ONNX
 *    specifies.
 *
 * Thread safety: a loaded model holds no mutable state. qc_model_run() may be
 * called on the same model from several threads at once, provided no two
 * concurrent calls share an output buffer (inputs may be shared); each
 * thread has its own qc_last_error(). qc_model_open()/qc_model_close()
 * of one handle must not race with uses of that handle.
 */

#ifndef QC_RUNTIME_QC_RUNTIME_H
#define QC_RUNTIME_QC_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define QC_API __declspec(dllexport)
#else
#define QC_API __attribute__((visibility("default")))
#endif

/** Version of this header's API; see qc_runtime_api_version(). */
#define QC_RUNTIME_API_VERSION 1
/** Version of the ABI between compiled models and this runtime. */
#define QC_MODEL_ABI_VERSION 1

/** Status codes. Values never change meaning. */
typedef enum qc_status {
  QC_OK = 0,
  QC_ERROR_INVALID_ARGUMENT = 1, /**< NULL pointer, bad index, ... */
  QC_ERROR_IO = 2,               /**< a file could not be read or written */
  QC_ERROR_LOAD = 3,             /**< dlopen/dlsym failed */
  QC_ERROR_ABI = 4,              /**< model ABI or signature is not usable */
  QC_ERROR_NAME = 5,             /**< unknown or missing tensor name */
  QC_ERROR_DTYPE = 6,            /**< element type differs from the model's */
  QC_ERROR_SHAPE = 7,            /**< rank or dimensions differ */
  QC_ERROR_SIZE = 8,             /**< buffer too small or overlapping */
  QC_ERROR_OUT_OF_MEMORY = 9,
  QC_ERROR_DEVICE = 10 /**< a GPU model's device is missing or failed */
} qc_status_t;

/**
 * Element types. The values are ONNX TensorProto.DataType codes and never
 * change meaning.
 */
typedef enum qc_dtype {
  QC_DTYPE_UNDEFINED = 0,
  QC_DTYPE_FLOAT32 = 1,
  QC_DTYPE_UINT8 = 2,
  QC_DTYPE_INT8 = 3,
  QC_DTYPE_UINT16 = 4,
  QC_DTYPE_INT16 = 5,
  QC_DTYPE_INT32 = 6,
  QC_DTYPE_INT64 = 7,
  QC_DTYPE_BOOL = 9, /**< one byte per element, 0 or 1 */
  QC_DTYPE_FLOAT16 = 10,
  QC_DTYPE_FLOAT64 = 11,
  QC_DTYPE_UINT32 = 12,
  QC_DTYPE_UINT64 = 13,
  QC_DTYPE_BFLOAT16 = 16,
  QC_DTYPE_FLOAT8E4M3FN = 17,
  QC_DTYPE_FLOAT8E5M2 = 19
} qc_dtype_t;

/** Opaque handle to a loaded model. */
typedef struct qc_model qc_model_t;

/**
 * Description of one model input or output. All pointers are owned by the
 * model handle and stay valid until qc_model_close().
 */
typedef struct qc_tensor_info {
  const char *name;
  qc_dtype_t dtype;
  int32_t rank;
  const int64_t *shape; /**< `rank` dimensions */
} qc_tensor_info_t;

/**
 * A caller-owned tensor passed to qc_model_run(). `data` points to a dense
 * row-major buffer of at least `size_bytes` bytes. `name` may be NULL, in
 * which case tensors are matched by position.
 */
typedef struct qc_tensor {
  const char *name;
  qc_dtype_t dtype;
  int32_t rank;
  const int64_t *shape;
  void *data;
  size_t size_bytes;
} qc_tensor_t;

#ifndef __cplusplus
_Static_assert(sizeof(qc_tensor_info_t) == 24 || sizeof(void *) != 8,
               "qc_tensor_info_t layout changed");
_Static_assert(sizeof(qc_tensor_t) == 40 || sizeof(void *) != 8,
               "qc_tensor_t layout changed");
#endif

/** Returns QC_RUNTIME_API_VERSION of the runtime library in use. */
QC_API uint32_t qc_runtime_api_version(void);

/** A static, human-readable name for `status`. */
QC_API const char *qc_status_string(qc_status_t status);

/**
 * The message describing the last failure of a qc_* call on the calling
 * thread (empty if none). Valid until the next failing call on this thread.
 */
QC_API const char *qc_last_error(void);

/** Bytes per element of `dtype`, or 0 if unknown. */
QC_API size_t qc_dtype_size(qc_dtype_t dtype);

/** A static name such as "float32", or "undefined". */
QC_API const char *qc_dtype_name(qc_dtype_t dtype);

/**
 * Loads the compiled model at `path` (dlopen with RTLD_LOCAL) and checks its
 * ABI version and signature. On success `*out_model` owns the library until
 * qc_model_close().
 */
QC_API qc_status_t qc_model_open(const char *path, qc_model_t **out_model);

/** Unloads a model. NULL is a no-op. */
QC_API void qc_model_close(qc_model_t *model);

/** The model's name as given to qc-compile. Owned by the handle. */
QC_API const char *qc_model_name(const qc_model_t *model);

QC_API size_t qc_model_num_inputs(const qc_model_t *model);
QC_API size_t qc_model_num_outputs(const qc_model_t *model);

/** Fills `*info` for input `index` (0-based). */
QC_API qc_status_t qc_model_input_info(const qc_model_t *model, size_t index,
                                       qc_tensor_info_t *info);
/** Fills `*info` for output `index` (0-based). */
QC_API qc_status_t qc_model_output_info(const qc_model_t *model, size_t index,
                                        qc_tensor_info_t *info);

/**
 * Runs the model. Exactly the model's inputs and outputs must be given, each
 * once, with matching dtype and shape and a large enough buffer; outputs may
 * not overlap each other or any input. On failure nothing has been written.
 */
QC_API qc_status_t qc_model_run(const qc_model_t *model,
                                const qc_tensor_t *inputs, size_t num_inputs,
                                const qc_tensor_t *outputs, size_t num_outputs);

/**
 * Calibration hook: called during qc_model_run() of a calibration build
 * (qc-compile's internal builds with qc.observe probes) once per probe with
 * that tensor's float32 data. `id` numbers the probes in the order qc-compile
 * recorded them. `data` is only valid during the call.
 */
typedef void (*qc_observer_fn)(void *user, int32_t id, const float *data,
                               int64_t count);

/**
 * Installs `fn` (NULL removes it) as the calibration hook of `model`.
 * Returns QC_ERROR_ABI if the model has no probes (a deployment build). The
 * hook is global to the loaded library: a calibration build must not be run
 * from several threads at once.
 */
QC_API qc_status_t qc_model_set_observer(qc_model_t *model, qc_observer_fn fn,
                                         void *user);

#ifdef __cplusplus
}
#endif

#endif /* QC_RUNTIME_QC_RUNTIME_H */
