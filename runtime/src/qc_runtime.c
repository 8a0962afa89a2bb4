/*===- qc_runtime.c - qc model runtime ----------------------------*- C -*-===*\
|*                                                                            *|
|* SPDX-License-Identifier: Apache-2.0                                        *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
/*
 * Implements qc/qc_runtime.h: loads a compiled model with dlopen, checks its
 * ABI version and signature, and validates every qc_model_run() call before
 * handing the buffers to the model.
 */

#if !defined(_POSIX_C_SOURCE) || _POSIX_C_SOURCE < 200809L
#undef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "qc/qc_runtime.h"
#include "qc_signature.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define QC_THREAD_LOCAL _Thread_local
#elif defined(__GNUC__) || defined(__clang__)
#define QC_THREAD_LOCAL __thread
#else
#error "qc_runtime needs thread-local storage"
#endif

#if defined(__GNUC__) || defined(__clang__)
#define QC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define QC_PRINTF(f, a)
#endif

/* Tensors up to this many use stack scratch space in qc_model_run(). */
#define QC_STACK_TENSORS 32

/* Models compiled with a planned workspace export qc_model_invoke_ws and
 * qc_model_workspace_size; workspaces are kept between calls (one per
 * concurrent call) so that no call pays for fresh pages. */
struct qc_model {
  void *handle;
  void (*invoke)(void **buffers);
  void (*invoke_ws)(void **buffers, void *workspace);
  uint64_t workspace_bytes;
  pthread_mutex_t lock; /* guards the free workspaces */
  void **free_ws;
  size_t num_free, cap_free;
  qc_signature_t sig;
  /* GPU models (qc-compile --target=cuda) only: the status of their device
   * work, see runtime/src/qc_cuda.c. */
  int32_t (*device_status)(char *message, size_t size);
};

/* Workspaces larger than this are refused (a corrupt model). */
#define QC_MAX_WORKSPACE_BYTES ((uint64_t)1 << 40)

/*===----------------------------------------------------------------------===*/
/* Errors                                                                     */
/*===----------------------------------------------------------------------===*/

static QC_THREAD_LOCAL char g_last_error[1024];

static qc_status_t set_error(qc_status_t status, const char *fmt, ...)
    QC_PRINTF(2, 3);

static qc_status_t set_error(qc_status_t status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(g_last_error, sizeof(g_last_error), fmt, ap);
  va_end(ap);
  return status;
}

const char *qc_last_error(void) { return g_last_error; }

uint32_t qc_runtime_api_version(void) { return QC_RUNTIME_API_VERSION; }

const char *qc_status_string(qc_status_t status) {
  switch (status) {
  case QC_OK:
    return "ok";
  case QC_ERROR_INVALID_ARGUMENT:
    return "invalid argument";
  case QC_ERROR_IO:
    return "I/O error";
  case QC_ERROR_LOAD:
    return "load error";
  case QC_ERROR_ABI:
    return "ABI error";
  case QC_ERROR_NAME:
    return "name error";
  case QC_ERROR_DTYPE:
    return "dtype error";
  case QC_ERROR_SHAPE:
    return "shape error";
  case QC_ERROR_SIZE:
    return "size error";
  case QC_ERROR_OUT_OF_MEMORY:
    return "out of memory";
  case QC_ERROR_DEVICE:
    return "device error";
  }
  return "unknown status";
}

/*===----------------------------------------------------------------------===*/
/* Dtypes                                                                     */
/*===----------------------------------------------------------------------===*/

size_t qc_dtype_size(qc_dtype_t dtype) {
  switch (dtype) {
  case QC_DTYPE_UINT8:
  case QC_DTYPE_INT8:
  case QC_DTYPE_BOOL:
  case QC_DTYPE_FLOAT8E4M3FN:
  case QC_DTYPE_FLOAT8E5M2:
    return 1;
  case QC_DTYPE_UINT16:
  case QC_DTYPE_INT16:
  case QC_DTYPE_FLOAT16:
  case QC_DTYPE_BFLOAT16:
    return 2;
  case QC_DTYPE_FLOAT32:
  case QC_DTYPE_INT32:
  case QC_DTYPE_UINT32:
    return 4;
  case QC_DTYPE_INT64:
  case QC_DTYPE_FLOAT64:
  case QC_DTYPE_UINT64:
    return 8;
  case QC_DTYPE_UNDEFINED:
    return 0;
  }
  return 0;
}

const char *qc_dtype_name(qc_dtype_t dtype) {
  switch (dtype) {
  case QC_DTYPE_FLOAT32:
    return "float32";
  case QC_DTYPE_UINT8:
    return "uint8";
  case QC_DTYPE_INT8:
    return "int8";
  case QC_DTYPE_UINT16:
    return "uint16";
  case QC_DTYPE_INT16:
    return "int16";
  case QC_DTYPE_INT32:
    return "int32";
  case QC_DTYPE_INT64:
    return "int64";
  case QC_DTYPE_BOOL:
    return "bool";
  case QC_DTYPE_FLOAT16:
    return "float16";
  case QC_DTYPE_FLOAT64:
    return "float64";
  case QC_DTYPE_UINT32:
    return "uint32";
  case QC_DTYPE_UINT64:
    return "uint64";
  case QC_DTYPE_BFLOAT16:
    return "bfloat16";
  case QC_DTYPE_FLOAT8E4M3FN:
    return "float8e4m3fn";
  case QC_DTYPE_FLOAT8E5M2:
    return "float8e5m2";
  case QC_DTYPE_UNDEFINED:
    return "undefined";
  }
  return "undefined";
}

/* A dtype for messages: its name, or its code if it has none. */
static const char *dtype_for_message(qc_dtype_t dtype, char *buf, size_t size) {
  if (qc_dtype_size(dtype) != 0 || dtype == QC_DTYPE_UNDEFINED)
    return qc_dtype_name(dtype);
  snprintf(buf, size, "unknown dtype code %d", (int)dtype);
  return buf;
}

/*===----------------------------------------------------------------------===*/
/* Loading                                                                    */
/*===----------------------------------------------------------------------===*/

/* Loads one symbol; returns 0 if it is missing. */
static int load_symbol(void *handle, const char *name, void **out) {
  dlerror();
  *out = dlsym(handle, name);
  return *out != NULL && dlerror() == NULL;
}

qc_status_t qc_model_open(const char *path, qc_model_t **out_model) {
  struct stat st;
  char pbuf[160], err[768];
  char *dlpath = NULL;
  void *handle = NULL;
  void *abi_sym = NULL, *sig_sym = NULL, *invoke_sym = NULL;
  uint32_t (*abi_fn)(void);
  const char *(*sig_fn)(void);
  const char *text;
  size_t length;
  qc_model_t *model;
  qc_status_t status;
  FILE *probe;

  if (out_model)
    *out_model = NULL;
  if (!path)
    return set_error(QC_ERROR_INVALID_ARGUMENT,
                     "qc_model_open: the model path is NULL");
  if (!out_model)
    return set_error(QC_ERROR_INVALID_ARGUMENT,
                     "qc_model_open: the output handle pointer is NULL");
  if (!*path)
    return set_error(QC_ERROR_INVALID_ARGUMENT,
                     "qc_model_open: the model path is empty");
  qc_internal_escape(pbuf, sizeof(pbuf), path, strlen(path), 128);

  /* Check the file first: dlopen's messages for a missing or unreadable file
   * are less clear, and a path without '/' would search the library path. */
  if (stat(path, &st) != 0)
    return set_error(QC_ERROR_IO, "cannot open model '%s': %s", pbuf,
                     strerror(errno));
  if (S_ISDIR(st.st_mode))
    return set_error(QC_ERROR_IO, "cannot open model '%s': it is a directory",
                     pbuf);
  probe = fopen(path, "rb");
  if (!probe)
    return set_error(QC_ERROR_IO, "cannot open model '%s': %s", pbuf,
                     strerror(errno));
  fclose(probe);

  if (!strchr(path, '/')) {
    size_t n = strlen(path);
    dlpath = (char *)malloc(n + 3);
    if (!dlpath)
      return set_error(QC_ERROR_OUT_OF_MEMORY,
                       "out of memory opening model '%s'", pbuf);
    memcpy(dlpath, "./", 2);
    memcpy(dlpath + 2, path, n + 1);
  }
  dlerror();
  handle = dlopen(dlpath ? dlpath : path, RTLD_NOW | RTLD_LOCAL);
  free(dlpath);
  if (!handle) {
    const char *why = dlerror();
    return set_error(QC_ERROR_LOAD, "cannot load model '%s': %s", pbuf,
                     why ? why : "unknown dlopen error");
  }

  if (!load_symbol(handle, "qc_model_abi_version", &abi_sym) ||
      !load_symbol(handle, "qc_model_signature", &sig_sym) ||
      !load_symbol(handle, "qc_model_invoke", &invoke_sym)) {
    const char *missing = !abi_sym   ? "qc_model_abi_version"
                          : !sig_sym ? "qc_model_signature"
                                     : "qc_model_invoke";
    dlclose(handle);
    return set_error(QC_ERROR_LOAD,
                     "cannot load model '%s': it does not export '%s'; is it "
                     "a model compiled by qc-compile?",
                     pbuf, missing);
  }
  /* POSIX guarantees that object and function pointers convert. */
  memcpy(&abi_fn, &abi_sym, sizeof(abi_fn));
  memcpy(&sig_fn, &sig_sym, sizeof(sig_fn));

  {
    uint32_t abi = abi_fn();
    if (abi != QC_MODEL_ABI_VERSION) {
      dlclose(handle);
      return set_error(QC_ERROR_ABI,
                       "cannot load model '%s': it has model ABI version %lu "
                       "but this runtime supports version %d; recompile the "
                       "model with a matching qc-compile",
                       pbuf, (unsigned long)abi, QC_MODEL_ABI_VERSION);
    }
  }

  text = sig_fn();
  if (!text) {
    dlclose(handle);
    return set_error(QC_ERROR_ABI,
                     "cannot load model '%s': its signature is NULL", pbuf);
  }
  for (length = 0; length <= QC_MAX_SIGNATURE_BYTES && text[length]; ++length)
    ;
  if (length > QC_MAX_SIGNATURE_BYTES) {
    dlclose(handle);
    return set_error(QC_ERROR_ABI,
                     "cannot load model '%s': its signature is longer than "
                     "%u bytes",
                     pbuf, (unsigned)QC_MAX_SIGNATURE_BYTES);
  }

  model = (qc_model_t *)calloc(1, sizeof(*model));
  if (!model) {
    dlclose(handle);
    return set_error(QC_ERROR_OUT_OF_MEMORY, "out of memory opening model '%s'",
                     pbuf);
  }
  status =
      qc_internal_signature_parse(text, length, &model->sig, err, sizeof(err));
  if (status != QC_OK) {
    free(model);
    dlclose(handle);
    return set_error(status, "cannot load model '%s': %s", pbuf, err);
  }
  model->handle = handle;
  memcpy(&model->invoke, &invoke_sym, sizeof(model->invoke));
  {
    void *ws_sym = NULL, *size_sym = NULL;
    if (load_symbol(handle, "qc_model_invoke_ws", &ws_sym) &&
        load_symbol(handle, "qc_model_workspace_size", &size_sym)) {
      uint64_t (*size_fn)(void);
      memcpy(&size_fn, &size_sym, sizeof(size_fn));
      model->workspace_bytes = size_fn();
      if (model->workspace_bytes > QC_MAX_WORKSPACE_BYTES) {
        qc_internal_signature_free(&model->sig);
        free(model);
        dlclose(handle);
        return set_error(QC_ERROR_ABI,
                         "cannot load model '%s': it asks for a workspace of "
                         "%llu bytes",
                         pbuf, (unsigned long long)model->workspace_bytes);
      }
      memcpy(&model->invoke_ws, &ws_sym, sizeof(model->invoke_ws));
    }
  }
  if (pthread_mutex_init(&model->lock, NULL) != 0) {
    qc_internal_signature_free(&model->sig);
    free(model);
    dlclose(handle);
    return set_error(QC_ERROR_OUT_OF_MEMORY, "cannot load model '%s': no mutex",
                     pbuf);
  }
  /* A GPU model initializes its device here, so that a machine without one
   * fails to open it, with the driver's reason. */
  {
    void *init_sym = NULL, *status_sym = NULL;
    if (load_symbol(handle, "qc_model_device_init", &init_sym) &&
        load_symbol(handle, "qc_model_device_status", &status_sym)) {
      int32_t (*init_fn)(char *, size_t);
      char message[1024];
      memcpy(&init_fn, &init_sym, sizeof(init_fn));
      memcpy(&model->device_status, &status_sym, sizeof(model->device_status));
      if (init_fn(message, sizeof(message)) != 0) {
        qc_model_close(model);
        return set_error(QC_ERROR_DEVICE, "cannot load model '%s': %s", pbuf,
                         message);
      }
    }
  }
  *out_model = model;
  return QC_OK;
}

void qc_model_close(qc_model_t *model) {
  if (!model)
    return;
  qc_internal_signature_free(&model->sig);
  while (model->num_free)
    free(model->free_ws[--model->num_free]);
  free(model->free_ws);
  pthread_mutex_destroy(&model->lock);
  if (model->handle)
    dlclose(model->handle);
  free(model);
}

/* A workspace for one call: a kept one, or a new 64-byte aligned block. */
static void *take_workspace(qc_model_t *model) {
  void *ws = NULL;
  pthread_mutex_lock(&model->lock);
  if (model->num_free)
    ws = model->free_ws[--model->num_free];
  pthread_mutex_unlock(&model->lock);
  if (!ws && posix_memalign(&ws, 64, (size_t)model->workspace_bytes) != 0)
    ws = NULL;
  return ws;
}

/* Keeps `ws` for later calls (or frees it if the list cannot grow). */
static void give_workspace(qc_model_t *model, void *ws) {
  pthread_mutex_lock(&model->lock);
  if (model->num_free == model->cap_free) {
    size_t cap = model->cap_free ? 2 * model->cap_free : 4;
    void **grown = (void **)realloc(model->free_ws, cap * sizeof(*grown));
    if (grown) {
      model->free_ws = grown;
      model->cap_free = cap;
    }
  }
  if (model->num_free < model->cap_free) {
    model->free_ws[model->num_free++] = ws;
    ws = NULL;
  }
  pthread_mutex_unlock(&model->lock);
  free(ws);
}

/*===----------------------------------------------------------------------===*/
/* Introspection                                                              */
/*===----------------------------------------------------------------------===*/

const char *qc_model_name(const qc_model_t *model) {
  return model ? model->sig.model_name : "";
}

size_t qc_model_num_inputs(const qc_model_t *model) {
  return model ? model->sig.num_inputs : 0;
}

size_t qc_model_num_outputs(const qc_model_t *model) {
  return model ? model->sig.num_outputs : 0;
}

static qc_status_t tensor_info(const qc_model_t *model, const char *kind,
                               size_t index, size_t count, size_t offset,
                               qc_tensor_info_t *info) {
  const qc_tensor_desc_t *d;
  if (!model)
    return set_error(QC_ERROR_INVALID_ARGUMENT,
                     "qc_model_%s_info: the model is NULL", kind);
  if (!info)
    return set_error(QC_ERROR_INVALID_ARGUMENT,
                     "qc_model_%s_info: the info pointer is NULL", kind);
  if (index >= count)
    return set_error(QC_ERROR_INVALID_ARGUMENT,
                     "qc_model_%s_info: %s index %lu is out of range (the "
                     "model has %lu %ss)",
                     kind, kind, (unsigned long)index, (unsigned long)count,
                     kind);
  d = &model->sig.tensors[offset + index];
  info->name = d->name;
  info->dtype = d->dtype;
  info->rank = d->rank;
  info->shape = d->shape;
  return QC_OK;
}

qc_status_t qc_model_input_info(const qc_model_t *model, size_t index,
                                qc_tensor_info_t *info) {
  return tensor_info(model, "input", index, model ? model->sig.num_inputs : 0,
                     0, info);
}

qc_status_t qc_model_output_info(const qc_model_t *model, size_t index,
                                 qc_tensor_info_t *info) {
  return tensor_info(model, "output", index, model ? model->sig.num_outputs : 0,
                     model ? model->sig.num_inputs : 0, info);
}

/*===----------------------------------------------------------------------===*/
/* Running                                                                    */
/*===----------------------------------------------------------------------===*/

/* A printable, length-limited rendering of a tensor name for messages. */
static const char *name_for_message(const char *name, char *buf, size_t size) {
  size_t n = 0;
  /* Bound the scan: only the first bytes are shown anyway. */
  while (n < 65 && name[n])
    ++n;
  qc_internal_escape(buf, size, name, n, 64);
  return buf;
}

/* "x, k" (cut short when long), for messages that list a model's tensors. */
static const char *list_names(const qc_tensor_desc_t *descs, size_t count,
                              char *buf, size_t size) {
  size_t i, o = 0;
  buf[0] = '\0';
  for (i = 0; i < count; ++i) {
    char nbuf[96];
    int n;
    qc_internal_escape(nbuf, sizeof(nbuf), descs[i].name, descs[i].name_len,
                       64);
    n = snprintf(buf + o, size - o, "%s'%s'", i ? ", " : "", nbuf);
    if (n < 0 || o + (size_t)n + 5 >= size) {
      buf[o] = '\0';
      if (o + 5 < size)
        memcpy(buf + o, ", ...", 6);
      break;
    }
    o += (size_t)n;
  }
  if (count == 0)
    snprintf(buf, size, "none");
  return buf;
}

/*
 * Assigns each of the model's `count` tensors of one kind (the descriptors
 * `descs`) the caller's tensor for it: `slots[i]` gets the tensor for
 * `descs[i]`.
 */
static qc_status_t match_tensors(const qc_model_t *model, const char *kind,
                                 const qc_tensor_t *given, size_t num_given,
                                 const qc_tensor_desc_t *descs, size_t count,
                                 const qc_tensor_t **slots) {
  size_t i, j, named = 0;
  char nbuf[96], lbuf[400];

  if (num_given > 0 && !given)
    return set_error(QC_ERROR_INVALID_ARGUMENT,
                     "qc_model_run: the %ss array is NULL but %lu %ss are "
                     "given",
                     kind, (unsigned long)num_given, kind);
  for (i = 0; i < num_given; ++i)
    named += given[i].name != NULL;

  if (named == 0) {
    /* By position. */
    if (num_given != count)
      return set_error(
          QC_ERROR_INVALID_ARGUMENT,
          "model '%s' takes %lu %s%s (%s), but %lu were given",
          name_for_message(model->sig.model_name, nbuf, sizeof(nbuf)),
          (unsigned long)count, kind, count == 1 ? "" : "s",
          list_names(descs, count, lbuf, sizeof(lbuf)),
          (unsigned long)num_given);
    for (i = 0; i < count; ++i)
      slots[i] = &given[i];
    return QC_OK;
  }

  /* By name. */
  for (i = 0; i < num_given; ++i) {
    if (!given[i].name) {
      for (j = 0; given[j].name == NULL; ++j)
        ;
      return set_error(
          QC_ERROR_INVALID_ARGUMENT,
          "%s %lu has no name but %s %lu is named '%s'; name every %s or "
          "none",
          kind, (unsigned long)i, kind, (unsigned long)j,
          name_for_message(given[j].name, nbuf, sizeof(nbuf)), kind);
    }
  }
  for (i = 0; i < count; ++i)
    slots[i] = NULL;
  for (i = 0; i < num_given; ++i) {
    const char *name = given[i].name;
    for (j = 0; j < count; ++j)
      if (strcmp(descs[j].name, name) == 0)
        break;
    if (j == count)
      return set_error(QC_ERROR_NAME,
                       "unknown %s '%s'; the model's %ss are: %s", kind,
                       name_for_message(name, nbuf, sizeof(nbuf)), kind,
                       list_names(descs, count, lbuf, sizeof(lbuf)));
    if (slots[j])
      return set_error(QC_ERROR_NAME, "%s '%s' is given more than once", kind,
                       name_for_message(name, nbuf, sizeof(nbuf)));
    slots[j] = &given[i];
  }
  for (j = 0; j < count; ++j)
    if (!slots[j])
      return set_error(QC_ERROR_NAME, "missing %s '%s'", kind,
                       name_for_message(descs[j].name, nbuf, sizeof(nbuf)));
  return QC_OK;
}

/* Checks one caller tensor against the model's descriptor. */
static qc_status_t check_tensor(const char *kind, const qc_tensor_desc_t *d,
                                const qc_tensor_t *t) {
  char nbuf[96], want[400], got[400], dbuf[48];
  int32_t i;
  int same_shape;

  qc_internal_escape(nbuf, sizeof(nbuf), d->name, d->name_len, 64);
  if (t->dtype != d->dtype)
    return set_error(QC_ERROR_DTYPE, "%s '%s': expected dtype %s, got %s", kind,
                     nbuf, qc_dtype_name(d->dtype),
                     dtype_for_message(t->dtype, dbuf, sizeof(dbuf)));
  if (t->rank < 0)
    return set_error(QC_ERROR_SHAPE, "%s '%s': rank %d is negative", kind, nbuf,
                     (int)t->rank);
  if (t->rank > 0 && !t->shape)
    return set_error(QC_ERROR_INVALID_ARGUMENT,
                     "%s '%s': the shape is NULL but the rank is %d", kind,
                     nbuf, (int)t->rank);
  same_shape = t->rank == d->rank;
  for (i = 0; same_shape && i < d->rank; ++i)
    same_shape = t->shape[i] == d->shape[i];
  if (!same_shape) {
    qc_internal_format_shape(want, sizeof(want), d->shape, d->rank);
    if (t->rank > QC_MAX_RANK)
      return set_error(QC_ERROR_SHAPE,
                       "%s '%s': expected shape %s, got a shape of rank %d",
                       kind, nbuf, want, (int)t->rank);
    qc_internal_format_shape(got, sizeof(got), t->shape, t->rank);
    return set_error(QC_ERROR_SHAPE, "%s '%s': expected shape %s, got %s", kind,
                     nbuf, want, got);
  }
  if (!t->data)
    return set_error(QC_ERROR_INVALID_ARGUMENT,
                     "%s '%s': the data pointer "
                     "is NULL",
                     kind, nbuf);
  if (t->size_bytes < d->num_bytes) {
    qc_internal_format_shape(want, sizeof(want), d->shape, d->rank);
    return set_error(QC_ERROR_SIZE,
                     "%s '%s': the buffer holds %lu bytes but %s %s needs "
                     "%lu",
                     kind, nbuf, (unsigned long)t->size_bytes,
                     qc_dtype_name(d->dtype), want,
                     (unsigned long)d->num_bytes);
  }
  return QC_OK;
}

static int overlaps(const void *a, size_t na, const void *b, size_t nb) {
  uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
  if (na == 0 || nb == 0)
    return 0;
  return x < y + nb && y < x + na;
}

qc_status_t qc_model_run(const qc_model_t *model, const qc_tensor_t *inputs,
                         size_t num_inputs, const qc_tensor_t *outputs,
                         size_t num_outputs) {
  const qc_tensor_t *stack_slots[QC_STACK_TENSORS];
  void *stack_buffers[QC_STACK_TENSORS];
  const qc_tensor_t **slots = stack_slots;
  void **buffers = stack_buffers;
  const qc_signature_t *sig;
  const qc_tensor_desc_t *descs;
  size_t n_in, n_out, total, i, j;
  qc_status_t status;

  if (!model)
    return set_error(QC_ERROR_INVALID_ARGUMENT, "qc_model_run: the model is "
                                                "NULL");
  sig = &model->sig;
  descs = sig->tensors;
  n_in = sig->num_inputs;
  n_out = sig->num_outputs;
  total = n_in + n_out;
  if (total > QC_STACK_TENSORS) {
    slots = (const qc_tensor_t **)malloc(total * sizeof(*slots));
    buffers = (void **)malloc(total * sizeof(*buffers));
    if (!slots || !buffers) {
      free((void *)slots);
      free(buffers);
      return set_error(QC_ERROR_OUT_OF_MEMORY, "qc_model_run: out of memory");
    }
  }

  status =
      match_tensors(model, "input", inputs, num_inputs, descs, n_in, slots);
  if (status == QC_OK)
    status = match_tensors(model, "output", outputs, num_outputs, descs + n_in,
                           n_out, slots + n_in);
  for (i = 0; status == QC_OK && i < total; ++i)
    status = check_tensor(i < n_in ? "input" : "output", &descs[i], slots[i]);

  /* Outputs may not overlap inputs or each other. Only the bytes the model
   * touches count. */
  for (i = n_in; status == QC_OK && i < total; ++i) {
    for (j = 0; j < total; ++j) {
      char a[96], b[96];
      if (j == i || !overlaps(slots[i]->data, descs[i].num_bytes,
                              slots[j]->data, descs[j].num_bytes))
        continue;
      qc_internal_escape(a, sizeof(a), descs[i].name, descs[i].name_len, 64);
      qc_internal_escape(b, sizeof(b), descs[j].name, descs[j].name_len, 64);
      status = set_error(QC_ERROR_SIZE,
                         "output '%s' overlaps %s '%s'; outputs may not share "
                         "memory with any input or other output",
                         a, j < n_in ? "input" : "output", b);
      break;
    }
  }

  if (status == QC_OK) {
    for (i = 0; i < total; ++i)
      buffers[i] = slots[i]->data;
    if (!model->invoke_ws) {
      model->invoke(buffers);
    } else if (model->workspace_bytes == 0) {
      model->invoke_ws(buffers, NULL);
    } else {
      /* The workspace cache is the one mutable part of a model; its mutex
       * makes concurrent runs safe. */
      qc_model_t *mutable_model = (qc_model_t *)model;
      void *ws = take_workspace(mutable_model);
      if (!ws) {
        status = set_error(QC_ERROR_OUT_OF_MEMORY,
                           "qc_model_run: cannot allocate the model's "
                           "%llu-byte workspace",
                           (unsigned long long)model->workspace_bytes);
      } else {
        model->invoke_ws(buffers, ws);
        give_workspace(mutable_model, ws);
      }
    }
    if (status == QC_OK && model->device_status) {
      char message[1024];
      if (model->device_status(message, sizeof(message)) != 0)
        status = set_error(QC_ERROR_DEVICE,
                           "running model '%s' on the GPU failed: %s",
                           model->sig.model_name, message);
    }
  }
  if (slots != stack_slots) {
    free((void *)slots);
    free(buffers);
  }
  return status;
}

qc_status_t qc_model_set_observer(qc_model_t *model, qc_observer_fn fn,
                                  void *user) {
  void *sym = NULL;
  void (*setter)(qc_observer_fn, void *);
  if (!model)
    return set_error(QC_ERROR_INVALID_ARGUMENT,
                     "qc_model_set_observer: model is NULL");
  if (!load_symbol(model->handle, "qc_model_set_observer", &sym))
    return set_error(QC_ERROR_ABI,
                     "model '%s' has no calibration probes (not a "
                     "calibration build)",
                     model->sig.model_name);
  memcpy(&setter, &sym, sizeof(setter));
  setter(fn, user);
  return QC_OK;
}
