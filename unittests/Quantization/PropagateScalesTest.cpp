//===- PropagateScalesTest.cpp - qc-propagate-scales keeps results exact --===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// qc-propagate-scales claims that moving qc.quantize above Relu, max
// pooling, padding, Flatten, Transpose and Concat, and into the integer
// epilogue of qc.conv, changes no output bit. These tests compile a small
// quantized network twice, with and without the pass, JIT-run both on
// random data (with exact ties and negative values) and compare bytes.
//
//===----------------------------------------------------------------------===//

#include "../Conversion/JitKernel.h"

#include "qc/Quantization/Passes.h"

#include "mlir/Transforms/Passes.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

using qc_test::JitKernel;

namespace {

/// conv(1x1) -> Relu -> pad(-inf) -> MaxPool 2x2/2 -> Flatten ->
/// Concat(Transpose(y)) -> quantize -> matmul, with activation type `act`.
std::string network(const std::string &act) {
  return R"(
!act = )" +
         act + R"(
!w = !qc.uniform<i8<-127:127>:f32:0, {0.02, 0.03, 0.025}>
!w2 = !qc.uniform<i8<-127:127>:f32:1, {0.01, 0.015, 0.02, 0.012}>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#win_in = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 * 2 + d4, d3 * 2 + d5)>
#win = affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>
#win_out = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>
func.func @main_graph(%x: tensor<1x2x5x5xf32>, %y: tensor<5x1xf32>) -> tensor<1x4xf32> {
  %qx = qc.quantize %x : tensor<1x2x5x5xf32> -> tensor<1x2x5x5x!act>
  %wb = arith.constant dense<[[[[50]], [[-90]]], [[[127]], [[33]]], [[[-127]], [[64]]]]> : tensor<3x2x1x1xi8>
  %w = qc.storage_cast %wb : tensor<3x2x1x1xi8> -> tensor<3x2x1x1x!w>
  %b = arith.constant dense<[0.1, -0.2, 0.05]> : tensor<3xf32>
  %conv = qc.conv %qx, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x2x5x5x!act>, tensor<3x2x1x1x!w>, tensor<3xf32>) -> tensor<1x3x5x5xf32>
  %e0 = tensor.empty() : tensor<1x3x5x5xf32>
  %relu = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%conv : tensor<1x3x5x5xf32>) outs(%e0 : tensor<1x3x5x5xf32>) {
  ^bb0(%in: f32, %out: f32):
    %zero = arith.constant 0.0 : f32
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x3x5x5xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %padded = tensor.pad %relu low[0, 0, 0, 0] high[0, 0, 1, 1] {
  ^bb0(%i0: index, %i1: index, %i2: index, %i3: index):
    tensor.yield %ninf : f32
  } : tensor<1x3x5x5xf32> to tensor<1x3x6x6xf32>
  %e1 = tensor.empty() : tensor<1x3x3x3xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e1 : tensor<1x3x3x3xf32>) -> tensor<1x3x3x3xf32>
  %window = tensor.empty() : tensor<2x2xi1>
  %pool = linalg.generic {indexing_maps = [#win_in, #win, #win_out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%padded, %window : tensor<1x3x6x6xf32>, tensor<2x2xi1>) outs(%init : tensor<1x3x3x3xf32>) {
  ^bb0(%in: f32, %unused: i1, %out: f32):
    %m = arith.maximumf %out, %in : f32
    linalg.yield %m : f32
  } -> tensor<1x3x3x3xf32>
  %flat = tensor.collapse_shape %pool [[0], [1, 2, 3]] : tensor<1x3x3x3xf32> into tensor<1x27xf32>
  %e2 = tensor.empty() : tensor<1x5xf32>
  %yt = linalg.transpose ins(%y : tensor<5x1xf32>) outs(%e2 : tensor<1x5xf32>) permutation = [1, 0]
  %cat = tensor.concat dim(1) %flat, %yt : (tensor<1x27xf32>, tensor<1x5xf32>) -> tensor<1x32xf32>
  %qcat = qc.quantize %cat : tensor<1x32xf32> -> tensor<1x32x!act>
  %w2b = arith.constant dense<3> : tensor<32x4xi8>
  %w2 = qc.storage_cast %w2b : tensor<32x4xi8> -> tensor<32x4x!w2>
  %out = qc.matmul %qcat, %w2 : (tensor<1x32x!act>, tensor<32x4x!w2>) -> tensor<1x4xf32>
  return %out : tensor<1x4xf32>
}
)";
}

/// `source` after qc-propagate-scales and canonicalization, and the number
/// of qc.quantize ops left.
std::string propagate(const std::string &source, int &quantizes) {
  mlir::DialectRegistry registry;
  mlir::qc::registerAllQCDialects(registry);
  mlir::MLIRContext context(registry);
  auto module = mlir::parseSourceString<mlir::ModuleOp>(source, &context);
  if (!module)
    return "";
  mlir::PassManager pm(&context);
  pm.addNestedPass<mlir::func::FuncOp>(mlir::qc::createPropagateScalesPass());
  pm.addPass(mlir::createCanonicalizerPass());
  if (mlir::failed(pm.run(*module)))
    return "";
  quantizes = 0;
  module->walk([&](mlir::qc::QuantizeOp) { ++quantizes; });
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os);
  return text;
}

void expectSameOutputs(const std::string &act, int expectedQuantizes) {
  std::string original = network(act);
  int quantizes = -1;
  std::string moved = propagate(original, quantizes);
  ASSERT_FALSE(moved.empty());
  // Only the network inputs are still quantized from floats, and the
  // concatenation moves codes.
  EXPECT_EQ(quantizes, expectedQuantizes) << moved;
  EXPECT_NE(moved.find("-> tensor<1x32xi8>"), std::string::npos) << moved;

  JitKernel before(original), after(moved);
  ASSERT_TRUE(before.error.empty()) << before.error;
  ASSERT_TRUE(after.error.empty()) << after.error;

  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-4.0f, 4.0f);
  for (int trial = 0; trial < 50; ++trial) {
    float x[50], y[5];
    for (float &v : x)
      // Every third value on the quantization grid, ties included.
      v = (&v - x) % 3 ? dist(rng) : 0.025f * float(int(dist(rng) * 40));
    for (float &v : y)
      v = dist(rng);
    float a[4], b[4];
    before.run({x, y, a});
    after.run({x, y, b});
    EXPECT_EQ(std::memcmp(a, b, sizeof(a)), 0)
        << "trial " << trial << ": " << a[0] << " vs " << b[0];
  }
}

TEST(PropagateScales, UnsignedActivationsGiveIdenticalOutputs) {
  // x and y are quantized once each; the conv writes u8 codes.
  expectSameOutputs("!qc.uniform<u8:f32, 0.05:40>", 2);
}

TEST(PropagateScales, SignedActivationsGiveIdenticalOutputs) {
  expectSameOutputs("!qc.uniform<i8:f32, 0.05:-10>", 2);
}

} // namespace
