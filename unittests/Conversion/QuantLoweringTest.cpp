//===- QuantLoweringTest.cpp - Generated quantization code vs reference ---===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Compiles qc.quantize / qc.dequantize through the real CPU pipeline (with the
// AOT entry ABI), JIT-runs the result with MLIR's ExecutionEngine, and compares
// every element with the scalar reference in qc/Support/QuantMath.h, which
// implements the ONNX definitions directly (the FP8 encoder is the exact table
// encoder of the ONNX float8 spec). Inputs sweep every f32 exponent and sign,
// every FP8 midpoint and its neighbours, ties, and random values.
//
//===----------------------------------------------------------------------===//

#include "qc/InitAllQC.h"
#include "qc/Pipelines/Pipelines.h"
#include "qc/Support/QuantMath.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/Support/TargetSelect.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace mlir;
namespace qmath = mlir::qc::math;

namespace {

/// One compiled function `out = f(in)` over `n` elements.
class Kernel {
public:
  /// `body` maps `%x : tensor<NxIN>` to a value of `tensor<NxOUT>`.
  Kernel(StringRef inType, StringRef outType, size_t n, StringRef body) {
    static bool initialized = [] {
      llvm::InitializeNativeTarget();
      llvm::InitializeNativeTargetAsmPrinter();
      return true;
    }();
    (void)initialized;
    DialectRegistry registry;
    registerAllDialects(registry);
    registerAllExtensions(registry);
    registerAllToLLVMIRTranslations(registry);
    qc::registerAllQCDialects(registry);
    context = std::make_unique<MLIRContext>(registry);

    std::string N = std::to_string(n);
    std::string source =
        "func.func @main_graph(%x: tensor<" + N + "x" + inType.str() +
        ">) -> tensor<" + N + "x" + outType.str() + "> {\n" + body.str() +
        "\n  return %r : tensor<" + N + "x" + outType.str() + ">\n}\n";
    // `body` refers to N as the literal text "N".
    for (size_t pos; (pos = source.find("xNx")) != std::string::npos;)
      source.replace(pos, 3, "x" + N + "x");
    for (size_t pos; (pos = source.find("<Nx")) != std::string::npos;)
      source.replace(pos, 3, "<" + N + "x");
    module = parseSourceString<ModuleOp>(source, context.get());
    if (!module) {
      error = "parse failed:\n" + source;
      return;
    }
    PassManager pm(context.get());
    qc::CPUPipelineOptions options;
    options.aot = true;
    qc::buildCPUPipeline(pm, options);
    if (failed(pm.run(*module))) {
      error = "pipeline failed";
      return;
    }
    auto engine = ExecutionEngine::create(*module);
    if (!engine) {
      error = llvm::toString(engine.takeError());
      return;
    }
    this->engine = std::move(*engine);
    auto fn = this->engine->lookup("qc_model_invoke");
    if (!fn) {
      error = llvm::toString(fn.takeError());
      return;
    }
    invoke = reinterpret_cast<void (*)(void **)>(*fn);
  }

  void run(const void *in, void *out) const {
    void *buffers[2] = {const_cast<void *>(in), out};
    invoke(buffers);
  }

  std::string error;

private:
  std::unique_ptr<MLIRContext> context;
  OwningOpRef<ModuleOp> module;
  std::unique_ptr<ExecutionEngine> engine;
  void (*invoke)(void **) = nullptr;
};

float fromBits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

/// Inputs that stress an FP8 encoder: one value per (sign, exponent, top
/// mantissa bits) pattern, every representable FP8 value, the midpoints
/// between neighbours and the floats just around them, and random values.
std::vector<float> float8Inputs(qmath::Float8Kind kind) {
  std::vector<float> values;
  for (uint32_t hi = 0; hi < 65536; ++hi)
    values.push_back(fromBits(hi << 16));
  for (int c = 0; c < 256; ++c) {
    float v = qmath::decodeFloat8(uint8_t(c), kind);
    if (!std::isfinite(v))
      continue;
    values.push_back(v);
    float next = qmath::decodeFloat8(uint8_t(c + 1), kind);
    if ((c & 0x7F) < 0x7F && std::isfinite(next) &&
        std::fabs(next) > std::fabs(v)) {
      float mid = (v + next) / 2;
      values.push_back(mid);
      values.push_back(std::nextafter(mid, 0.0f));
      values.push_back(std::nextafter(mid, 1e30f));
      values.push_back(-std::nextafter(mid, 1e30f));
    }
  }
  float maxFinite = qmath::float8MaxFinite(kind);
  for (float f : {maxFinite, maxFinite * 1.0625f, maxFinite * 1.125f,
                  maxFinite * 1.25f, std::nextafter(maxFinite * 1.0625f, 0.0f),
                  std::nextafter(maxFinite * 1.0625f, 1e30f)}) {
    values.push_back(f);
    values.push_back(-f);
  }
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, maxFinite / 8);
  for (int i = 0; i < 20000; ++i)
    values.push_back(normal(rng));
  return values;
}

std::string describe(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  char buffer[64];
  snprintf(buffer, sizeof(buffer), "%.9g (0x%08x)", x, bits);
  return buffer;
}

void checkFloat8Encode(StringRef typeName, qmath::Float8Kind kind,
                       bool saturate) {
  std::vector<float> in = float8Inputs(kind);
  std::string body = "  %q = qc.quantize %x" +
                     std::string(saturate ? "" : " {saturate = false}") +
                     " : tensor<Nxf32> -> tensor<Nx!qc.uniform<" +
                     typeName.str() + ":f32, 1.0>>\n" +
                     "  %r = qc.storage_cast %q : tensor<Nx!qc.uniform<" +
                     typeName.str() + ":f32, 1.0>> -> tensor<Nxi8>";
  Kernel kernel("f32", "i8", in.size(), body);
  ASSERT_EQ(kernel.error, "");
  std::vector<uint8_t> out(in.size());
  kernel.run(in.data(), out.data());
  size_t mismatches = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    uint8_t expected = qmath::encodeFloat8(in[i], kind, saturate);
    if (out[i] != expected && ++mismatches <= 10)
      ADD_FAILURE() << typeName.str() << (saturate ? "" : " (no saturation)")
                    << ": x = " << describe(in[i]) << " encoded as "
                    << int(out[i]) << ", expected " << int(expected);
  }
  EXPECT_EQ(mismatches, 0u) << "of " << in.size() << " values";
}

TEST(QuantLowering, Float8E4M3FNEncodeMatchesReference) {
  checkFloat8Encode("f8E4M3FN", qmath::Float8Kind::E4M3FN, true);
}
TEST(QuantLowering, Float8E4M3FNNoSaturateMatchesReference) {
  checkFloat8Encode("f8E4M3FN", qmath::Float8Kind::E4M3FN, false);
}
TEST(QuantLowering, Float8E5M2EncodeMatchesReference) {
  checkFloat8Encode("f8E5M2", qmath::Float8Kind::E5M2, true);
}
TEST(QuantLowering, Float8E5M2NoSaturateMatchesReference) {
  checkFloat8Encode("f8E5M2", qmath::Float8Kind::E5M2, false);
}

TEST(QuantLowering, Float8DecodeEveryCode) {
  for (auto [name, kind] : {std::pair<const char *, qmath::Float8Kind>{
                                "f8E4M3FN", qmath::Float8Kind::E4M3FN},
                            {"f8E5M2", qmath::Float8Kind::E5M2}}) {
    std::vector<uint8_t> in(256);
    for (int c = 0; c < 256; ++c)
      in[c] = uint8_t(c);
    std::string type = std::string("!qc.uniform<") + name + ":f32, 0.5>";
    std::string body = "  %q = qc.storage_cast %x : tensor<Nxi8> -> tensor<Nx" +
                       type + ">\n  %r = qc.dequantize %q : tensor<Nx" + type +
                       "> -> tensor<Nxf32>";
    Kernel kernel("i8", "f32", in.size(), body);
    ASSERT_EQ(kernel.error, "");
    std::vector<float> out(in.size());
    kernel.run(in.data(), out.data());
    for (int c = 0; c < 256; ++c) {
      float expected = qmath::decodeFloat8(uint8_t(c), kind) * 0.5f;
      if (std::isnan(expected))
        EXPECT_TRUE(std::isnan(out[c])) << name << " code " << c;
      else
        EXPECT_EQ(out[c], expected) << name << " code " << c;
    }
  }
}

struct IntCase {
  const char *type; // qc type text
  unsigned bits;
  bool isSigned;
  float scale;
  int64_t zeroPoint;
};

TEST(QuantLowering, IntegerQuantizeMatchesReference) {
  const IntCase cases[] = {
      {"i8:f32, 0.0372", 8, true, 0.0372f, 0},
      {"u8:f32, 0.0213:128", 8, false, 0.0213f, 128},
      {"i8:f32, 0.75:-17", 8, true, 0.75f, -17},
      {"i4:f32, 0.3", 4, true, 0.3f, 0},
      {"u4:f32, 0.125:8", 4, false, 0.125f, 8},
      {"i2:f32, 1.0", 2, true, 1.0f, 0},
      {"i16:f32, 0.001:-300", 16, true, 0.001f, -300},
      {"u16:f32, 0.01:32768", 16, false, 0.01f, 32768},
  };
  std::mt19937 rng(11);
  for (const IntCase &c : cases) {
    qmath::StorageRange range = qmath::integerRange(c.bits, c.isSigned);
    std::vector<float> in;
    // Exact ties k + 0.5 in units of the scale, around and beyond the range.
    for (int64_t k = range.min - c.zeroPoint - 3;
         k <= range.max - c.zeroPoint + 3;
         k += std::max<int64_t>(1, (range.max - range.min) / 512))
      in.push_back((float(k) + 0.5f) * c.scale);
    std::normal_distribution<float> normal(
        0.0f, c.scale * float(range.max - range.min) / 3);
    for (int i = 0; i < 5000; ++i)
      in.push_back(normal(rng));
    for (float special :
         {std::nanf(""), INFINITY, -INFINITY, 0.0f, -0.0f, 1e30f, -1e30f})
      in.push_back(special);
    unsigned memBits = c.bits <= 8 ? 8 : 16;
    std::string mem = "i" + std::to_string(c.bits);
    std::string wide = "i" + std::to_string(memBits);
    std::string body =
        std::string(
            "  %q = qc.quantize %x : tensor<Nxf32> -> tensor<Nx!qc.uniform<") +
        c.type + ">>\n  %s = qc.storage_cast %q : tensor<Nx!qc.uniform<" +
        c.type + ">> -> tensor<Nx" + mem + ">\n" +
        (c.bits == memBits
             ? "  %r = tensor.cast %s : tensor<Nx" + mem + "> to tensor<Nx" +
                   mem + ">"
             : std::string("  %r = arith.") + (c.isSigned ? "extsi" : "extui") +
                   " %s : tensor<Nx" + mem + "> to tensor<Nx" + wide + ">");
    Kernel kernel("f32", wide, in.size(), body);
    ASSERT_EQ(kernel.error, "") << c.type;
    std::vector<uint8_t> raw(in.size() * memBits / 8);
    kernel.run(in.data(), raw.data());
    size_t mismatches = 0;
    for (size_t i = 0; i < in.size(); ++i) {
      int64_t got;
      if (memBits == 8)
        got = c.isSigned ? int64_t(int8_t(raw[i])) : int64_t(raw[i]);
      else {
        uint16_t v;
        std::memcpy(&v, &raw[2 * i], 2);
        got = c.isSigned ? int64_t(int16_t(v)) : int64_t(v);
      }
      int64_t expected = qmath::quantize(in[i], c.scale, c.zeroPoint, range);
      if (got != expected && ++mismatches <= 10)
        ADD_FAILURE() << c.type << ": x = " << describe(in[i]) << " -> " << got
                      << ", expected " << expected;
    }
    EXPECT_EQ(mismatches, 0u) << c.type;
  }
}

TEST(QuantLowering, IntegerDequantizeMatchesReference) {
  std::vector<uint8_t> in(256);
  for (int i = 0; i < 256; ++i)
    in[i] = uint8_t(i);
  for (auto [type, isSigned, scale, zp] :
       {std::tuple<const char *, bool, float, int64_t>{"u8:f32, 0.0213:128",
                                                       false, 0.0213f, 128},
        {"i8:f32, 0.0372:-5", true, 0.0372f, -5}}) {
    std::string body =
        std::string("  %q = qc.storage_cast %x : tensor<Nxi8> -> "
                    "tensor<Nx!qc.uniform<") +
        type + ">>\n  %r = qc.dequantize %q : tensor<Nx!qc.uniform<" + type +
        ">> -> tensor<Nxf32>";
    Kernel kernel("i8", "f32", in.size(), body);
    ASSERT_EQ(kernel.error, "") << type;
    std::vector<float> out(in.size());
    kernel.run(in.data(), out.data());
    for (int i = 0; i < 256; ++i) {
      int64_t q = isSigned ? int64_t(int8_t(in[i])) : int64_t(in[i]);
      EXPECT_EQ(out[i], qmath::dequantize(q, scale, zp)) << type << " q=" << q;
    }
  }
}

} // namespace
