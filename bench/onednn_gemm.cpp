//===- onednn_gemm.cpp - oneDNN GEMM baseline for qc's benchmarks ---------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Times oneDNN's matmul primitive with weights reordered into its preferred
// (blocked) layout outside the timed loop, as anchors.md's baselines do:
//
//   onednn_gemm u8s8s32 M K N REPS     C[i32] = A[u8] x B[s8]
//   onednn_gemm f32 M K N REPS         C[f32] = A[f32] x B[f32]
//
// Threads follow OMP_NUM_THREADS (Debian's oneDNN uses OpenMP). Prints
// "median_ms <v>" after checking 64 output entries against a scalar
// reference (exact for integers, 1e-4 relative for f32).
//
//===----------------------------------------------------------------------===//

#include "oneapi/dnnl/dnnl.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

using namespace dnnl;

namespace {

template <typename A, typename B, typename C>
int run(memory::data_type ta, memory::data_type tb, memory::data_type tc,
        int64_t M, int64_t K, int64_t N, int reps) {
  engine eng(engine::kind::cpu, 0);
  stream strm(eng);
  std::mt19937 rng(1);
  std::vector<A> a(M * K);
  std::vector<B> b(K * N);
  for (auto &v : a)
    v = std::is_floating_point<A>::value ? A(int(rng() % 2001) - 1000) / A(1000)
                                         : A(rng() % 256);
  for (auto &v : b)
    v = std::is_floating_point<B>::value ? B(int(rng() % 2001) - 1000) / B(1000)
                                         : B(int(rng() % 255) - 127);
  memory::desc aMd({M, K}, ta, memory::format_tag::ab);
  memory::desc bUser({K, N}, tb, memory::format_tag::ab);
  memory::desc bAny({K, N}, tb, memory::format_tag::any);
  memory::desc cMd({M, N}, tc, memory::format_tag::ab);
  // oneDNN 2.x API: an op descriptor, then the primitive descriptor.
  matmul::primitive_desc pd(matmul::desc(aMd, bAny, cMd), eng);
  memory aMem(aMd, eng, a.data()), bUserMem(bUser, eng, b.data());
  memory bMem(pd.weights_desc(), eng);
  reorder(bUserMem, bMem).execute(strm, bUserMem, bMem); // prepack
  std::vector<C> c(M * N);
  memory cMem(cMd, eng, c.data());
  matmul prim(pd);
  auto once = [&] {
    prim.execute(
        strm,
        {{DNNL_ARG_SRC, aMem}, {DNNL_ARG_WEIGHTS, bMem}, {DNNL_ARG_DST, cMem}});
    strm.wait();
  };
  for (int i = 0; i < 3; ++i)
    once();
  std::vector<double> ms;
  for (int i = 0; i < reps; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    once();
    auto t1 = std::chrono::steady_clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  for (int s = 0; s < 64; ++s) {
    int64_t i = rng() % M, j = rng() % N;
    double ref = 0;
    for (int64_t k = 0; k < K; ++k)
      ref += double(a[i * K + k]) * double(b[k * N + j]);
    double got = double(c[i * N + j]);
    if (std::is_floating_point<C>::value
            ? std::fabs(got - ref) > 1e-4 * (1 + std::fabs(ref))
            : got != ref) {
      std::fprintf(stderr,
                   "onednn_gemm: wrong result at (%lld, %lld): %g vs %g\n",
                   (long long)i, (long long)j, got, ref);
      return 1;
    }
  }
  std::sort(ms.begin(), ms.end());
  std::printf("median_ms %.6f\n", ms[ms.size() / 2]);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: onednn_gemm u8s8s32|f32 M K N REPS\n");
    return 2;
  }
  int64_t M = std::atoll(argv[2]), K = std::atoll(argv[3]),
          N = std::atoll(argv[4]);
  int reps = std::atoi(argv[5]);
  if (M <= 0 || K <= 0 || N <= 0 || reps <= 0) {
    std::fprintf(stderr, "onednn_gemm: sizes and REPS must be positive\n");
    return 2;
  }
  using dt = memory::data_type;
  if (!std::strcmp(argv[1], "u8s8s32"))
    return run<uint8_t, int8_t, int32_t>(dt::u8, dt::s8, dt::s32, M, K, N,
                                         reps);
  if (!std::strcmp(argv[1], "f32"))
    return run<float, float, float>(dt::f32, dt::f32, dt::f32, M, K, N, reps);
  std::fprintf(stderr, "onednn_gemm: unknown kind '%s'\n", argv[1]);
  return 2;
}
