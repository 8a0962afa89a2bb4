/*===- fake_cuda_driver.c - A CUDA driver stand-in for tests ------*- C -*-===*\
|*                                                                            *|
|* SPDX-License-Identifier: Apache-2.0                                        *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
/*
 * libqc_fake_cuda_driver.so implements the slice of the CUDA driver API that
 * runtime/src/qc_cuda.c uses, on host memory, so that the device plumbing of
 * GPU models (driver loading, device checks, module loading, kernel lookup
 * and launches, copies, error reporting, QC_CUDA_PROFILE) is tested on
 * machines without a GPU: a model is run with
 * QC_CUDA_DRIVER=.../libqc_fake_cuda_driver.so. Kernels are not executed.
 *
 * QC_FAKE_CUDA selects the behaviour:
 *   ok          (default) an sm_89 device; everything succeeds
 *   no-device   cuInit fails with CUDA_ERROR_NO_DEVICE
 *   sm75        the device has compute capability 7.5
 *   no-binary   cuModuleLoadData fails with CUDA_ERROR_NO_BINARY_FOR_GPU
 *   launch-fail cuLaunchKernel fails with CUDA_ERROR_LAUNCH_FAILED
 * Every call that matters is logged to stderr as "fake-cuda: ...".
 *
 * The module image must be a fatbin (magic 0xBA55ED50); cuModuleGetFunction
 * finds a kernel only if its name occurs in the image.
 */

#if !defined(_POSIX_C_SOURCE) || _POSIX_C_SOURCE < 200809L
#undef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;

enum {
  OK = 0,
  ERROR_INVALID_VALUE = 1,
  ERROR_NO_DEVICE = 100,
  ERROR_NO_BINARY_FOR_GPU = 209,
  ERROR_NOT_FOUND = 500,
  ERROR_LAUNCH_FAILED = 719
};

struct module {
  const unsigned char *image;
  size_t size;
  /* The function handles cuModuleGetFunction returned (their names), freed
   * with the module as in CUDA. */
  char **functions;
  size_t num_functions;
};

static const char *mode(void) {
  const char *m = getenv("QC_FAKE_CUDA");
  return m && *m ? m : "ok";
}

static int is(const char *m) { return strcmp(mode(), m) == 0; }

#define LOG(...)                                                               \
  do {                                                                         \
    fprintf(stderr, "fake-cuda: " __VA_ARGS__);                                \
    fputc('\n', stderr);                                                       \
  } while (0)

CUresult cuInit(unsigned flags) {
  (void)flags;
  LOG("cuInit mode %s", mode());
  return is("no-device") ? ERROR_NO_DEVICE : OK;
}

CUresult cuGetErrorName(CUresult error, const char **name) {
  switch (error) {
  case ERROR_NO_DEVICE:
    *name = "CUDA_ERROR_NO_DEVICE";
    return OK;
  case ERROR_NO_BINARY_FOR_GPU:
    *name = "CUDA_ERROR_NO_BINARY_FOR_GPU";
    return OK;
  case ERROR_NOT_FOUND:
    *name = "CUDA_ERROR_NOT_FOUND";
    return OK;
  case ERROR_LAUNCH_FAILED:
    *name = "CUDA_ERROR_LAUNCH_FAILED";
    return OK;
  default:
    return ERROR_INVALID_VALUE;
  }
}

CUresult cuGetErrorString(CUresult error, const char **text) {
  (void)error;
  *text = "fake driver error";
  return OK;
}

CUresult cuDeviceGetCount(int *count) {
  *count = 1;
  return OK;
}

CUresult cuDeviceGet(int *device, int ordinal) {
  *device = ordinal;
  return OK;
}

CUresult cuDeviceGetAttribute(int *value, int attribute, int device) {
  (void)device;
  switch (attribute) {
  case 75: /* compute capability major */
    *value = is("sm75") ? 7 : 8;
    return OK;
  case 76: /* minor */
    *value = is("sm75") ? 5 : 9;
    return OK;
  case 115: /* memory pools */
    *value = 1;
    return OK;
  default:
    *value = 0;
    return OK;
  }
}

CUresult cuDeviceGetName(char *name, int length, int device) {
  (void)device;
  snprintf(name, (size_t)length, "Fake GPU");
  return OK;
}

static int g_context;

CUresult cuDevicePrimaryCtxRetain(void **context, int device) {
  (void)device;
  *context = &g_context;
  return OK;
}

CUresult cuDevicePrimaryCtxRelease_v2(int device) {
  (void)device;
  return OK;
}

CUresult cuCtxSetCurrent(void *context) {
  return context == &g_context ? OK : ERROR_INVALID_VALUE;
}

CUresult cuModuleLoadData(void **handle, const void *image) {
  const unsigned char *bytes = (const unsigned char *)image;
  struct module *m;
  uint16_t header;
  uint64_t body;
  if (is("no-binary")) {
    LOG("cuModuleLoadData refused");
    return ERROR_NO_BINARY_FOR_GPU;
  }
  if (!(bytes[0] == 0x50 && bytes[1] == 0xED && bytes[2] == 0x55 &&
        bytes[3] == 0xBA)) {
    LOG("cuModuleLoadData: not a fatbin");
    return ERROR_INVALID_VALUE;
  }
  /* magic (4), version (2), header size (2), size of the rest (8) */
  memcpy(&header, bytes + 6, 2);
  memcpy(&body, bytes + 8, 8);
  m = (struct module *)calloc(1, sizeof(*m));
  if (!m)
    return ERROR_INVALID_VALUE;
  m->image = bytes;
  m->size = header + body;
  LOG("cuModuleLoadData fatbin of %zu bytes", m->size);
  *handle = m;
  return OK;
}

CUresult cuModuleUnload(void *handle) {
  struct module *m = (struct module *)handle;
  size_t i;
  for (i = 0; i < m->num_functions; ++i)
    free(m->functions[i]);
  free(m->functions);
  free(m);
  return OK;
}

static int contains(const struct module *m, const char *name) {
  size_t n = strlen(name), i;
  for (i = 0; i + n <= m->size; ++i)
    if (memcmp(m->image + i, name, n) == 0 &&
        (i + n == m->size || m->image[i + n] == 0 || m->image[i + n] == '(' ||
         m->image[i + n] == '\n'))
      return 1;
  return 0;
}

CUresult cuModuleGetFunction(void **function, void *handle, const char *name) {
  if (!contains((struct module *)handle, name)) {
    LOG("cuModuleGetFunction %s: not in the image", name);
    return ERROR_NOT_FOUND;
  }
  LOG("cuModuleGetFunction %s", name);
  {
    struct module *m = (struct module *)handle;
    char **grown = (char **)realloc(m->functions, (m->num_functions + 1) *
                                                      sizeof(*m->functions));
    if (!grown)
      return ERROR_INVALID_VALUE;
    m->functions = grown;
    m->functions[m->num_functions] = strdup(name);
    *function = m->functions[m->num_functions++];
  }
  return OK;
}

CUresult cuLaunchKernel(void *function, unsigned gx, unsigned gy, unsigned gz,
                        unsigned bx, unsigned by, unsigned bz, unsigned smem,
                        void *stream, void **params, void **extra) {
  (void)stream;
  (void)extra;
  LOG("cuLaunchKernel %s grid %ux%ux%u block %ux%ux%u smem %u params %s",
      (const char *)function, gx, gy, gz, bx, by, bz, smem,
      params ? "yes" : "no");
  return is("launch-fail") ? ERROR_LAUNCH_FAILED : OK;
}

static int g_stream;

CUresult cuStreamCreate(void **stream, unsigned flags) {
  (void)flags;
  *stream = &g_stream;
  return OK;
}

CUresult cuStreamDestroy_v2(void *stream) {
  (void)stream;
  return OK;
}

CUresult cuStreamSynchronize(void *stream) {
  (void)stream;
  LOG("cuStreamSynchronize");
  return OK;
}

CUresult cuStreamWaitEvent(void *stream, void *event, unsigned flags) {
  (void)stream;
  (void)event;
  (void)flags;
  return OK;
}

CUresult cuEventCreate(void **event, unsigned flags) {
  (void)flags;
  *event = malloc(1);
  return OK;
}

CUresult cuEventDestroy_v2(void *event) {
  free(event);
  return OK;
}

CUresult cuEventRecord(void *event, void *stream) {
  (void)event;
  (void)stream;
  return OK;
}

CUresult cuEventSynchronize(void *event) {
  (void)event;
  return OK;
}

CUresult cuEventElapsedTime_v2(float *ms, void *start, void *stop) {
  (void)start;
  (void)stop;
  *ms = 0.25f;
  return OK;
}

CUresult cuMemAlloc_v2(CUdeviceptr *pointer, size_t bytes) {
  *pointer = (CUdeviceptr)(uintptr_t)calloc(1, bytes);
  return *pointer ? OK : ERROR_INVALID_VALUE;
}

CUresult cuMemAllocAsync(CUdeviceptr *pointer, size_t bytes, void *stream) {
  (void)stream;
  return cuMemAlloc_v2(pointer, bytes);
}

CUresult cuMemAllocManaged(CUdeviceptr *pointer, size_t bytes, unsigned flags) {
  (void)flags;
  return cuMemAlloc_v2(pointer, bytes);
}

CUresult cuMemFree_v2(CUdeviceptr pointer) {
  free((void *)(uintptr_t)pointer);
  return OK;
}

CUresult cuMemFreeAsync(CUdeviceptr pointer, void *stream) {
  (void)stream;
  return cuMemFree_v2(pointer);
}

CUresult cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t bytes,
                       void *stream) {
  (void)stream;
  LOG("cuMemcpyAsync %zu bytes", bytes);
  memcpy((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, bytes);
  return OK;
}

CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned value, size_t count,
                          void *stream) {
  size_t i;
  (void)stream;
  for (i = 0; i < count; ++i)
    memcpy((char *)(uintptr_t)dst + 4 * i, &value, 4);
  return OK;
}

CUresult cuMemsetD16Async(CUdeviceptr dst, unsigned short value, size_t count,
                          void *stream) {
  size_t i;
  (void)stream;
  for (i = 0; i < count; ++i)
    memcpy((char *)(uintptr_t)dst + 2 * i, &value, 2);
  return OK;
}
