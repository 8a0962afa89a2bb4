// SPDX-License-Identifier: Apache-2.0
//
// Runs a one-input, one-output qc model (x [M, K] f32 -> y [M, N] f32)
// twice, the second time with MXCSR.DAZ (denormals are zero) set, and
// reports whether the outputs are bitwise identical. The weight-only
// kernel's fast form feeds weight codes to the FMAs as denormal floats and
// must switch to its converting form when DAZ is set.
//
//   daz_invoke MODEL.so M K N

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xmmintrin.h>

int main(int argc, char **argv) {
  if (argc != 5)
    return 2;
  void *lib = dlopen(argv[1], RTLD_NOW);
  if (!lib) {
    fprintf(stderr, "%s\n", dlerror());
    return 1;
  }
  void (*invoke)(void **) = (void (*)(void **))dlsym(lib, "qc_model_invoke");
  if (!invoke)
    return 1;
  long m = atol(argv[2]), k = atol(argv[3]), n = atol(argv[4]);
  float *x = malloc(sizeof(float) * m * k);
  float *y0 = calloc(m * n, sizeof(float));
  float *y1 = calloc(m * n, sizeof(float));
  unsigned state = 12345;
  for (long i = 0; i < m * k; ++i) {
    state = state * 1103515245u + 12345u;
    x[i] = (float)((state >> 8) & 0xFFFF) / 32768.0f - 1.0f;
  }
  void *buffers[2] = {x, y0};
  invoke(buffers);
  unsigned saved = _mm_getcsr();
  _mm_setcsr(saved | 0x40);
  buffers[1] = y1;
  invoke(buffers);
  _mm_setcsr(saved);
  float peak = 0.0f;
  for (long i = 0; i < m * n; ++i)
    peak = y0[i] > peak ? y0[i] : (-y0[i] > peak ? -y0[i] : peak);
  printf("nonzero: %s\n", peak > 0.0f ? "yes" : "no");
  printf("DAZ: %s\n",
         memcmp(y0, y1, sizeof(float) * m * n) == 0 ? "same" : "different");
  return 0;
}
