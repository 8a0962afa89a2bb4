/*===- vnni_peak.c - Issue rate of vpdpbusd on this core --------*- C -*-===*\
|*                                                                            *|
|* SPDX-License-Identifier: Apache-2.0                                        *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
/*
 * The compute roofline of the int8 weight-only kernel: nanoseconds per
 * 512-bit vpdpbusd (64 u8 x s8 multiply-adds) with 12 independent
 * accumulator chains, next to vfmadd231ps the same way (both issue at most
 * twice per cycle on Zen 4/5), and vpdpbusd mixed with the int4 kernel's
 * nibble masks and shifts (do they take multiply-pipe slots?). The loops
 * are inline assembly so that the compiler adds nothing to them.
 *
 *   cc -O2 -mavx512f -mavx512vnni bench/vnni_peak.c -o vnni_peak
 *   ./vnni_peak
 *
 * docs/benchmarks.md compares a GEMV's vpdpbusd count times this rate with
 * the time that 0.7x of the measured read bandwidth allows.
 */
#include <stdio.h>
#include <time.h>

#define ITERS 50000000L
#define CHAINS 12

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

#define TWELVE(OP)                                                             \
  OP " %%zmm0, %%zmm1, %%zmm4\n\t" OP " %%zmm0, %%zmm2, %%zmm5\n\t" OP         \
     " %%zmm0, %%zmm3, %%zmm6\n\t" OP " %%zmm0, %%zmm1, %%zmm7\n\t" OP         \
     " %%zmm0, %%zmm2, %%zmm8\n\t" OP " %%zmm0, %%zmm3, %%zmm9\n\t" OP         \
     " %%zmm0, %%zmm1, %%zmm10\n\t" OP " %%zmm0, %%zmm2, %%zmm11\n\t" OP       \
     " %%zmm0, %%zmm3, %%zmm12\n\t" OP " %%zmm0, %%zmm1, %%zmm13\n\t" OP       \
     " %%zmm0, %%zmm2, %%zmm14\n\t" OP " %%zmm0, %%zmm3, %%zmm15\n\t"

#define CLOBBERS                                                               \
  "zmm0", "zmm1", "zmm2", "zmm3", "zmm4", "zmm5", "zmm6", "zmm7", "zmm8",      \
      "zmm9", "zmm10", "zmm11", "zmm12", "zmm13", "zmm14", "zmm15", "zmm16",   \
      "zmm17", "zmm18", "zmm19", "zmm20", "cc"

/* ns per OP in a loop of TWELVE(OP) plus EXTRA: defines static double
 * NAME(). */
#define DEFINE_RATE(NAME, OP, EXTRA)                                           \
  static double NAME(void) {                                                   \
    long n = ITERS;                                                            \
    double t = now();                                                          \
    __asm__ volatile("vpxord %%zmm0, %%zmm0, %%zmm0\n\t"                       \
                     "vmovdqa64 %%zmm0, %%zmm1\n\t"                            \
                     "vmovdqa64 %%zmm0, %%zmm2\n\t"                            \
                     "vmovdqa64 %%zmm0, %%zmm3\n\t"                            \
                     "1:\n\t" TWELVE(OP) EXTRA "dec %0\n\tjnz 1b\n\t"          \
                     : "+r"(n)                                                 \
                     :                                                         \
                     : CLOBBERS);                                              \
    return (now() - t) / (ITERS * CHAINS) * 1e9;                               \
  }

DEFINE_RATE(vnniRate, "vpdpbusd", "")
DEFINE_RATE(fmaRate, "vfmadd231ps", "")
/* The int4 kernel's mix: per 8 vpdpbusd 3 nibble masks and shifts (here 5
 * per 12, on registers the chains do not use). */
DEFINE_RATE(mixRate, "vpdpbusd",
            "vpsrld $4, %%zmm1, %%zmm16\n\t"
            "vpsrld $4, %%zmm2, %%zmm17\n\t"
            "vpandq %%zmm1, %%zmm3, %%zmm18\n\t"
            "vpandq %%zmm2, %%zmm3, %%zmm19\n\t"
            "vpandq %%zmm1, %%zmm2, %%zmm20\n\t")

int main(void) {
  double best = 1e9, bestFma = 1e9, bestMix = 1e9;
  for (int round = 0; round < 5; ++round) {
    double v = vnniRate(), f = fmaRate(), x = mixRate();
    best = v < best ? v : best;
    bestFma = f < bestFma ? f : bestFma;
    bestMix = x < bestMix ? x : bestMix;
  }
  printf("vpdpbusd zmm: %.4f ns each (%.2f G/s, 64 multiply-adds each)\n", best,
         1.0 / best);
  printf("vfmadd231ps zmm: %.4f ns each (%.2f G/s)\n", bestFma, 1.0 / bestFma);
  printf("vpdpbusd with 5 vpsrld/vpandq per 12: %.4f ns per vpdpbusd\n",
         bestMix);
  return 0;
}
