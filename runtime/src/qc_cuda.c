/*===- qc_cuda.c - CUDA driver support linked into GPU models ------*- C
-*-===*\
|*                                                                            *|
|* SPDX-License-Identifier: Apache-2.0                                        *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
/*
 * Linked (from libqc_cuda_support.a) into every model qc-compile builds for
 * --target=cuda. It implements the small GPU runtime interface that MLIR's
 * host lowering calls (mgpuModuleLoad, mgpuLaunchKernel, mgpuMemAlloc, ...)
 * on top of the CUDA driver API, which it loads with dlopen("libcuda.so.1")
 * the first time it is needed: a model has no link-time dependency on CUDA,
 * and loading it on a machine without a GPU fails with a clear message
 * instead of an unresolved symbol.
 *
 * The model exports two functions the qc runtime calls when present:
 *
 *   int32_t qc_model_device_init(char *message, size_t size);
 *       loads the driver, creates (retains) the device's primary context and
 *       loads the model's GPU modules; 0 on success, else nonzero with a
 *       message. qc_model_open() calls it.
 *   int32_t qc_model_device_status(char *message, size_t size);
 *       0 if no GPU operation has failed, else nonzero with the first
 *       failure. qc_model_run() calls it after each run.
 *
 * Errors are sticky, like the CUDA driver's own: once an operation fails,
 * later GPU work of the model is skipped and every run reports the error.
 *
 * Environment: QC_CUDA_DRIVER names the driver library to load instead of
 * libcuda.so.1 (tests use it to simulate drivers); QC_CUDA_DEVICE picks the
 * device ordinal (default 0); QC_CUDA_PROFILE=1 times every kernel launch
 * with CUDA events and prints, when the process exits, one line per kernel
 * to stderr:
 *
 *   qc-cuda-profile: <kernel> launches <n> min_ms <t> mean_ms <t>
 *
 * (the device time of the kernels alone, without copies or allocations;
 * utils/gpu/bench_gemm.py reads these lines).
 */

#if !defined(_POSIX_C_SOURCE) || _POSIX_C_SOURCE < 200809L
#undef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QC_CUDA_EXPORT __attribute__((visibility("default")))

/*===----------------------------------------------------------------------===*/
/* The slice of the driver API qc uses (types and values from cuda.h)         */
/*===----------------------------------------------------------------------===*/

typedef int CUresult;
typedef int CUdevice;
typedef void *CUcontext;
typedef void *CUmodule;
typedef void *CUfunction;
typedef void *CUstream;
typedef void *CUevent;
typedef unsigned long long CUdeviceptr;

enum {
  CUDA_SUCCESS = 0,
  CUDA_ERROR_NO_DEVICE = 100,
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
  CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED = 115,
  CU_STREAM_NON_BLOCKING = 1,
  CU_EVENT_DISABLE_TIMING = 2,
  CU_MEM_ATTACH_GLOBAL = 1
};

struct driver {
  void *handle;
  CUresult (*cuInit)(unsigned);
  CUresult (*cuGetErrorString)(CUresult, const char **);
  CUresult (*cuGetErrorName)(CUresult, const char **);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetAttribute)(int *, int, CUdevice);
  CUresult (*cuDeviceGetName)(char *, int, CUdevice);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuDevicePrimaryCtxRelease)(CUdevice);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuModuleLoadData)(CUmodule *, const void *);
  CUresult (*cuModuleUnload)(CUmodule);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                             unsigned, unsigned, unsigned, CUstream, void **,
                             void **);
  CUresult (*cuStreamCreate)(CUstream *, unsigned);
  CUresult (*cuStreamDestroy)(CUstream);
  CUresult (*cuStreamSynchronize)(CUstream);
  CUresult (*cuStreamWaitEvent)(CUstream, CUevent, unsigned);
  CUresult (*cuEventCreate)(CUevent *, unsigned);
  CUresult (*cuEventDestroy)(CUevent);
  CUresult (*cuEventRecord)(CUevent, CUstream);
  CUresult (*cuEventSynchronize)(CUevent);
  CUresult (*cuEventElapsedTime)(float *, CUevent, CUevent);
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
  CUresult (*cuMemFree)(CUdeviceptr);
  CUresult (*cuMemAllocManaged)(CUdeviceptr *, size_t, unsigned);
  /* Stream-ordered allocation (CUDA 11.2+); optional. */
  CUresult (*cuMemAllocAsync)(CUdeviceptr *, size_t, CUstream);
  CUresult (*cuMemFreeAsync)(CUdeviceptr, CUstream);
  CUresult (*cuMemcpyAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream);
  CUresult (*cuMemsetD32Async)(CUdeviceptr, unsigned, size_t, CUstream);
  CUresult (*cuMemsetD16Async)(CUdeviceptr, unsigned short, size_t, CUstream);
};

/*===----------------------------------------------------------------------===*/
/* State                                                                      */
/*===----------------------------------------------------------------------===*/

/* One GPU module of the model, registered by mgpuModuleLoad (which MLIR's
 * host code calls from a global constructor) and loaded on first use. */
struct kernel_entry {
  const char *name;
  CUfunction function;
};

/* QC_CUDA_PROFILE: a launch whose events are not read yet, and the times
 * gathered per kernel. */
struct pending_launch {
  const char *kernel;
  CUevent start, stop;
  struct pending_launch *next;
};

struct kernel_profile {
  const char *kernel;
  unsigned long launches;
  double total_ms, min_ms;
  struct kernel_profile *next;
};

struct gpu_module {
  const void *data;
  size_t size;
  CUmodule module;
  struct kernel_entry *kernels;
  size_t num_kernels;
  struct gpu_module *next;
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct driver g_cu;
static int g_initialized;  /* 1 once the context exists */
static int g_failed;       /* sticky error */
static char g_error[1024]; /* its message */
static CUdevice g_device;
static CUcontext g_context;
static int g_has_pools;
static struct gpu_module *g_modules;
static int g_profile = -1; /* QC_CUDA_PROFILE; -1 until read */
static struct pending_launch *g_pending;
static struct kernel_profile *g_profiles;

/* Records the first failure (later ones are consequences). Call with the
 * lock held or before any thread can race. */
static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...) {
  va_list ap;
  if (g_failed)
    return;
  va_start(ap, fmt);
  vsnprintf(g_error, sizeof(g_error), fmt, ap);
  va_end(ap);
  g_failed = 1;
}

/* Names of the errors a driver may report before cuGetErrorName works. */
static const char *known_error_name(CUresult result) {
  switch (result) {
  case 34:
    return "CUDA_ERROR_STUB_LIBRARY (the CUDA toolkit's stub libcuda.so was "
           "loaded instead of the NVIDIA driver's)";
  case 35:
    return "CUDA_ERROR_INSUFFICIENT_DRIVER";
  case 100:
    return "CUDA_ERROR_NO_DEVICE";
  case 209:
    return "CUDA_ERROR_NO_BINARY_FOR_GPU";
  case 999:
    return "CUDA_ERROR_UNKNOWN";
  default:
    return NULL;
  }
}

static const char *describe(CUresult result) {
  const char *name = NULL, *text = NULL;
  static char buffer[256];
  if (g_cu.cuGetErrorName && g_cu.cuGetErrorName(result, &name) != CUDA_SUCCESS)
    name = NULL;
  if (g_cu.cuGetErrorString &&
      g_cu.cuGetErrorString(result, &text) != CUDA_SUCCESS)
    text = NULL;
  if (!name) {
    name = known_error_name(result);
    if (name && !text) {
      snprintf(buffer, sizeof(buffer), "%s (%d)", name, (int)result);
      return buffer;
    }
  }
  snprintf(buffer, sizeof(buffer), "%s (%d): %s", name ? name : "CUDA error",
           (int)result, text ? text : "no description");
  return buffer;
}

/* Checks a driver call; on failure records `what` and returns 0. */
static int check(CUresult result, const char *what) {
  if (result == CUDA_SUCCESS)
    return 1;
  pthread_mutex_lock(&g_lock);
  fail("CUDA %s failed: %s", what, describe(result));
  pthread_mutex_unlock(&g_lock);
  return 0;
}

static int load_symbol(void *handle, const char *name, void *slot,
                       int required) {
  void *symbol = dlsym(handle, name);
  memcpy(slot, &symbol, sizeof(symbol));
  if (!symbol && required) {
    fail("the CUDA driver library has no '%s'; the NVIDIA driver is too old "
         "for this model",
         name);
    return 0;
  }
  return 1;
}

/* Loads the driver and creates the context. Called with the lock held. */
static int initialize_locked(void) {
  const char *path;
  const char *ordinal_text;
  int count = 0, ordinal = 0, major = 0, minor = 0, ok = 1;
  char name[128];
  CUresult result;

  if (g_initialized)
    return 1;
  if (g_failed)
    return 0;
  path = getenv("QC_CUDA_DRIVER");
  if (!path || !*path)
    path = "libcuda.so.1";
  g_cu.handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!g_cu.handle) {
    const char *why = dlerror();
    fail("this model runs on an NVIDIA GPU, but the CUDA driver library "
         "'%s' cannot be loaded (%s); install the NVIDIA driver, or compile "
         "the model for the CPU",
         path, why ? why : "unknown dlopen error");
    return 0;
  }
#define QC_LOAD(field, symbol, required)                                       \
  ok = ok && load_symbol(g_cu.handle, symbol, &g_cu.field, required)
  QC_LOAD(cuInit, "cuInit", 1);
  QC_LOAD(cuGetErrorString, "cuGetErrorString", 1);
  QC_LOAD(cuGetErrorName, "cuGetErrorName", 1);
  QC_LOAD(cuDeviceGetCount, "cuDeviceGetCount", 1);
  QC_LOAD(cuDeviceGet, "cuDeviceGet", 1);
  QC_LOAD(cuDeviceGetAttribute, "cuDeviceGetAttribute", 1);
  QC_LOAD(cuDeviceGetName, "cuDeviceGetName", 1);
  QC_LOAD(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain", 1);
  QC_LOAD(cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2", 1);
  QC_LOAD(cuCtxSetCurrent, "cuCtxSetCurrent", 1);
  QC_LOAD(cuModuleLoadData, "cuModuleLoadData", 1);
  QC_LOAD(cuModuleUnload, "cuModuleUnload", 1);
  QC_LOAD(cuModuleGetFunction, "cuModuleGetFunction", 1);
  QC_LOAD(cuLaunchKernel, "cuLaunchKernel", 1);
  QC_LOAD(cuStreamCreate, "cuStreamCreate", 1);
  QC_LOAD(cuStreamDestroy, "cuStreamDestroy_v2", 1);
  QC_LOAD(cuStreamSynchronize, "cuStreamSynchronize", 1);
  QC_LOAD(cuStreamWaitEvent, "cuStreamWaitEvent", 1);
  QC_LOAD(cuEventCreate, "cuEventCreate", 1);
  QC_LOAD(cuEventDestroy, "cuEventDestroy_v2", 1);
  QC_LOAD(cuEventRecord, "cuEventRecord", 1);
  QC_LOAD(cuEventSynchronize, "cuEventSynchronize", 1);
  QC_LOAD(cuEventElapsedTime, "cuEventElapsedTime_v2", 0);
  if (!g_cu.cuEventElapsedTime)
    QC_LOAD(cuEventElapsedTime, "cuEventElapsedTime", 0);
  QC_LOAD(cuMemAlloc, "cuMemAlloc_v2", 1);
  QC_LOAD(cuMemFree, "cuMemFree_v2", 1);
  QC_LOAD(cuMemAllocManaged, "cuMemAllocManaged", 1);
  QC_LOAD(cuMemcpyAsync, "cuMemcpyAsync", 1);
  QC_LOAD(cuMemsetD32Async, "cuMemsetD32Async", 1);
  QC_LOAD(cuMemsetD16Async, "cuMemsetD16Async", 1);
  QC_LOAD(cuMemAllocAsync, "cuMemAllocAsync", 0);
  QC_LOAD(cuMemFreeAsync, "cuMemFreeAsync", 0);
#undef QC_LOAD
  if (!ok)
    return 0;

  result = g_cu.cuInit(0);
  if (result == CUDA_ERROR_NO_DEVICE) {
    fail("this model runs on an NVIDIA GPU, but the CUDA driver finds no "
         "device: %s",
         describe(result));
    return 0;
  }
  if (result != CUDA_SUCCESS) {
    fail("cannot initialize the CUDA driver: %s", describe(result));
    return 0;
  }
  if (g_cu.cuDeviceGetCount(&count) != CUDA_SUCCESS || count == 0) {
    fail("this model runs on an NVIDIA GPU, but the CUDA driver reports no "
         "device");
    return 0;
  }
  ordinal_text = getenv("QC_CUDA_DEVICE");
  if (ordinal_text && *ordinal_text)
    ordinal = atoi(ordinal_text);
  if (ordinal < 0 || ordinal >= count) {
    fail("QC_CUDA_DEVICE=%d is not a device (the driver reports %d)", ordinal,
         count);
    return 0;
  }
  result = g_cu.cuDeviceGet(&g_device, ordinal);
  if (result != CUDA_SUCCESS) {
    fail("cannot open CUDA device %d: %s", ordinal, describe(result));
    return 0;
  }
  g_cu.cuDeviceGetAttribute(
      &major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, g_device);
  g_cu.cuDeviceGetAttribute(
      &minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, g_device);
  if (major * 10 + minor < 80) {
    if (g_cu.cuDeviceGetName(name, sizeof(name), g_device) != CUDA_SUCCESS)
      snprintf(name, sizeof(name), "device %d", ordinal);
    fail("CUDA device %d (%s) has compute capability %d.%d; qc's GPU models "
         "need 8.0 (sm_80) or newer",
         ordinal, name, major, minor);
    return 0;
  }
  if (g_cu.cuMemAllocAsync && g_cu.cuMemFreeAsync) {
    int pools = 0;
    g_cu.cuDeviceGetAttribute(
        &pools, CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED, g_device);
    g_has_pools = pools != 0;
  }
  result = g_cu.cuDevicePrimaryCtxRetain(&g_context, g_device);
  if (result != CUDA_SUCCESS) {
    fail("cannot create a context on CUDA device %d: %s", ordinal,
         describe(result));
    return 0;
  }
  g_initialized = 1;
  return 1;
}

/* Makes the context current on this thread; 0 if the GPU is unusable. */
static int ensure_context(void) {
  int ok;
  pthread_mutex_lock(&g_lock);
  ok = initialize_locked();
  pthread_mutex_unlock(&g_lock);
  if (!ok)
    return 0;
  return check(g_cu.cuCtxSetCurrent(g_context), "context activation");
}

/* Loads `m` if needed. Called with the lock held and the context current. */
static int load_module_locked(struct gpu_module *m) {
  CUresult result;
  if (m->module)
    return 1;
  result = g_cu.cuModuleLoadData(&m->module, m->data);
  if (result != CUDA_SUCCESS) {
    m->module = NULL;
    fail("cannot load the model's GPU code on this device (it was compiled "
         "for another architecture, or the driver is older than the "
         "compiler's PTX): %s",
         describe(result));
    return 0;
  }
  return 1;
}

/*===----------------------------------------------------------------------===*/
/* Exported to the qc runtime                                                 */
/*===----------------------------------------------------------------------===*/

static int32_t report(char *message, size_t size) {
  if (message && size > 0)
    snprintf(message, size, "%s", g_failed ? g_error : "");
  return g_failed ? 1 : 0;
}

QC_CUDA_EXPORT int32_t qc_model_device_init(char *message, size_t size) {
  struct gpu_module *m;
  int32_t status;
  if (ensure_context()) {
    pthread_mutex_lock(&g_lock);
    for (m = g_modules; m; m = m->next)
      if (!load_module_locked(m))
        break;
    pthread_mutex_unlock(&g_lock);
  }
  pthread_mutex_lock(&g_lock);
  status = report(message, size);
  pthread_mutex_unlock(&g_lock);
  return status;
}

QC_CUDA_EXPORT int32_t qc_model_device_status(char *message, size_t size) {
  int32_t status;
  pthread_mutex_lock(&g_lock);
  status = report(message, size);
  pthread_mutex_unlock(&g_lock);
  return status;
}

/*===----------------------------------------------------------------------===*/
/* The interface MLIR's host code calls (names and types as in MLIR's        */
/* CudaRuntimeWrappers.cpp and its LLVM translation of gpu.launch_func)       */
/*===----------------------------------------------------------------------===*/

void *mgpuModuleLoad(void *data, size_t size) {
  struct gpu_module *m = (struct gpu_module *)calloc(1, sizeof(*m));
  pthread_mutex_lock(&g_lock);
  if (!m) {
    fail("out of memory registering a GPU module");
  } else {
    m->data = data;
    m->size = size;
    m->next = g_modules;
    g_modules = m;
  }
  pthread_mutex_unlock(&g_lock);
  return m;
}

void *mgpuModuleLoadJIT(void *data, int optLevel) {
  (void)optLevel;
  return mgpuModuleLoad(data, strlen((const char *)data) + 1);
}

void mgpuModuleUnload(void *handle) {
  struct gpu_module *m = (struct gpu_module *)handle, **link;
  if (!m)
    return;
  pthread_mutex_lock(&g_lock);
  for (link = &g_modules; *link; link = &(*link)->next)
    if (*link == m) {
      *link = m->next;
      break;
    }
  if (m->module && g_initialized)
    g_cu.cuModuleUnload(m->module);
  pthread_mutex_unlock(&g_lock);
  free(m->kernels);
  free(m);
}

void *mgpuModuleGetFunction(void *handle, const char *name) {
  struct gpu_module *m = (struct gpu_module *)handle;
  CUfunction function = NULL;
  size_t i;
  if (!m || !ensure_context())
    return NULL;
  pthread_mutex_lock(&g_lock);
  if (load_module_locked(m)) {
    for (i = 0; i < m->num_kernels; ++i)
      if (m->kernels[i].name == name || strcmp(m->kernels[i].name, name) == 0)
        function = m->kernels[i].function;
    if (!function) {
      CUresult result = g_cu.cuModuleGetFunction(&function, m->module, name);
      struct kernel_entry *grown;
      if (result != CUDA_SUCCESS) {
        fail("cannot find kernel '%s' in the model's GPU code: %s", name,
             describe(result));
        function = NULL;
      } else if ((grown = (struct kernel_entry *)realloc(
                      m->kernels, (m->num_kernels + 1) * sizeof(*grown)))) {
        m->kernels = grown;
        m->kernels[m->num_kernels].name = name;
        m->kernels[m->num_kernels].function = function;
        ++m->num_kernels;
      }
    }
  }
  pthread_mutex_unlock(&g_lock);
  return function;
}

/*===----------------------------------------------------------------------===*/
/* QC_CUDA_PROFILE                                                            */
/*===----------------------------------------------------------------------===*/

static int profiling(void) {
  if (g_profile < 0) {
    const char *value = getenv("QC_CUDA_PROFILE");
    g_profile = value && *value && strcmp(value, "0") != 0;
  }
  return g_profile && g_cu.cuEventElapsedTime;
}

/* The name mgpuModuleGetFunction looked `function` up by. */
static const char *kernel_name(CUfunction function) {
  struct gpu_module *m;
  size_t i;
  for (m = g_modules; m; m = m->next)
    for (i = 0; i < m->num_kernels; ++i)
      if (m->kernels[i].function == function)
        return m->kernels[i].name;
  return "kernel";
}

/* Reads the events of every finished launch. Called with the lock held
 * after a stream synchronization. */
static void collect_profiles_locked(void) {
  struct pending_launch *p, *next, *keep = NULL;
  for (p = g_pending; p; p = next) {
    float ms = 0;
    struct kernel_profile *k;
    next = p->next;
    if (g_cu.cuEventElapsedTime(&ms, p->start, p->stop) != CUDA_SUCCESS) {
      p->next = keep; /* not finished yet */
      keep = p;
      continue;
    }
    for (k = g_profiles; k; k = k->next)
      if (strcmp(k->kernel, p->kernel) == 0)
        break;
    if (!k && (k = (struct kernel_profile *)calloc(1, sizeof(*k)))) {
      k->kernel = p->kernel;
      k->min_ms = ms;
      k->next = g_profiles;
      g_profiles = k;
    }
    if (k) {
      ++k->launches;
      k->total_ms += ms;
      if (ms < k->min_ms)
        k->min_ms = ms;
    }
    g_cu.cuEventDestroy(p->start);
    g_cu.cuEventDestroy(p->stop);
    free(p);
  }
  g_pending = keep;
}

__attribute__((destructor)) static void print_profiles(void) {
  struct kernel_profile *k;
  if (!g_profiles)
    return;
  for (k = g_profiles; k; k = k->next)
    fprintf(
        stderr, "qc-cuda-profile: %s launches %lu min_ms %.6f mean_ms %.6f\n",
        k->kernel, k->launches, k->min_ms, k->total_ms / (double)k->launches);
}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t paramsCount) {
  struct pending_launch *p = NULL;
  (void)paramsCount;
  if (!function || g_failed)
    return;
  if (profiling() && (p = (struct pending_launch *)calloc(1, sizeof(*p)))) {
    if (g_cu.cuEventCreate(&p->start, 0) != CUDA_SUCCESS ||
        g_cu.cuEventCreate(&p->stop, 0) != CUDA_SUCCESS) {
      free(p);
      p = NULL;
    } else {
      g_cu.cuEventRecord(p->start, stream);
    }
  }
  check(g_cu.cuLaunchKernel(function, (unsigned)gridX, (unsigned)gridY,
                            (unsigned)gridZ, (unsigned)blockX, (unsigned)blockY,
                            (unsigned)blockZ, (unsigned)smem, stream, params,
                            extra),
        "kernel launch");
  if (p) {
    g_cu.cuEventRecord(p->stop, stream);
    pthread_mutex_lock(&g_lock);
    p->kernel = kernel_name(function);
    p->next = g_pending;
    g_pending = p;
    pthread_mutex_unlock(&g_lock);
  }
}

void *mgpuStreamCreate(void) {
  CUstream stream = NULL;
  if (ensure_context())
    check(g_cu.cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING),
          "stream creation");
  return stream;
}

void mgpuStreamDestroy(void *stream) {
  if (stream && g_initialized)
    check(g_cu.cuStreamDestroy(stream), "stream destruction");
}

void mgpuStreamSynchronize(void *stream) {
  if (g_initialized && !g_failed &&
      check(g_cu.cuStreamSynchronize(stream), "kernel execution") &&
      g_pending) {
    pthread_mutex_lock(&g_lock);
    collect_profiles_locked();
    pthread_mutex_unlock(&g_lock);
  }
}

void mgpuStreamWaitEvent(void *stream, void *event) {
  if (g_initialized && !g_failed && event)
    check(g_cu.cuStreamWaitEvent(stream, event, 0), "stream wait");
}

void *mgpuEventCreate(void) {
  CUevent event = NULL;
  if (ensure_context())
    check(g_cu.cuEventCreate(&event, CU_EVENT_DISABLE_TIMING),
          "event creation");
  return event;
}

void mgpuEventDestroy(void *event) {
  if (event && g_initialized)
    check(g_cu.cuEventDestroy(event), "event destruction");
}

void mgpuEventSynchronize(void *event) {
  if (event && g_initialized && !g_failed)
    check(g_cu.cuEventSynchronize(event), "event synchronization");
}

void mgpuEventRecord(void *event, void *stream) {
  if (event && g_initialized && !g_failed)
    check(g_cu.cuEventRecord(event, stream), "event record");
}

void *mgpuMemAlloc(uint64_t sizeBytes, void *stream, int8_t isHostShared) {
  CUdeviceptr pointer = 0;
  if (sizeBytes == 0 || !ensure_context() || g_failed)
    return NULL;
  if (isHostShared)
    check(g_cu.cuMemAllocManaged(&pointer, sizeBytes, CU_MEM_ATTACH_GLOBAL),
          "managed allocation");
  else if (g_has_pools)
    check(g_cu.cuMemAllocAsync(&pointer, sizeBytes, stream),
          "device allocation");
  else
    check(g_cu.cuMemAlloc(&pointer, sizeBytes), "device allocation");
  return (void *)(uintptr_t)pointer;
}

void mgpuMemFree(void *pointer, void *stream) {
  if (!pointer || !g_initialized)
    return;
  if (g_has_pools)
    check(g_cu.cuMemFreeAsync((CUdeviceptr)(uintptr_t)pointer, stream),
          "device free");
  else
    check(g_cu.cuMemFree((CUdeviceptr)(uintptr_t)pointer), "device free");
}

void mgpuMemcpy(void *dst, void *src, size_t sizeBytes, void *stream) {
  if (sizeBytes == 0 || !g_initialized || g_failed)
    return;
  check(g_cu.cuMemcpyAsync((CUdeviceptr)(uintptr_t)dst,
                           (CUdeviceptr)(uintptr_t)src, sizeBytes, stream),
        "memory copy");
}

void mgpuMemset32(void *dst, unsigned int value, size_t count, void *stream) {
  if (count == 0 || !g_initialized || g_failed)
    return;
  check(
      g_cu.cuMemsetD32Async((CUdeviceptr)(uintptr_t)dst, value, count, stream),
      "memset");
}

void mgpuMemset16(void *dst, unsigned short value, size_t count, void *stream) {
  if (count == 0 || !g_initialized || g_failed)
    return;
  check(
      g_cu.cuMemsetD16Async((CUdeviceptr)(uintptr_t)dst, value, count, stream),
      "memset");
}

void mgpuSetDefaultDevice(int32_t device) { (void)device; }
