//===- QCOps.cpp - qc dialect operations ----------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/IR/QCDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::qc;

#define GET_OP_CLASSES
#include "qc/Dialect/QC/IR/QCOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Shape helpers
//===----------------------------------------------------------------------===//

LogicalResult
mlir::qc::inferMatMulShape(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs,
                           SmallVectorImpl<int64_t> &result,
                           function_ref<InFlightDiagnostic()> emitError) {
  if (lhs.empty() || rhs.empty())
    return emitError() << "matmul operands must have rank >= 1";
  SmallVector<int64_t> a(lhs), b(rhs);
  bool lhsVector = a.size() == 1, rhsVector = b.size() == 1;
  if (lhsVector)
    a.insert(a.begin(), 1);
  if (rhsVector)
    b.push_back(1);
  int64_t k1 = a.back(), k2 = b[b.size() - 2];
  if (!ShapedType::isDynamic(k1) && !ShapedType::isDynamic(k2) && k1 != k2)
    return emitError() << "matmul contraction sizes differ: " << k1 << " vs "
                       << k2;
  ArrayRef<int64_t> batchA = ArrayRef<int64_t>(a).drop_back(2);
  ArrayRef<int64_t> batchB = ArrayRef<int64_t>(b).drop_back(2);
  size_t batchRank = std::max(batchA.size(), batchB.size());
  result.clear();
  for (size_t i = 0; i < batchRank; ++i) {
    int64_t da = i + batchA.size() >= batchRank
                     ? batchA[i + batchA.size() - batchRank]
                     : 1;
    int64_t db = i + batchB.size() >= batchRank
                     ? batchB[i + batchB.size() - batchRank]
                     : 1;
    if (da == 1)
      result.push_back(db);
    else if (db == 1 || da == db)
      result.push_back(da);
    else if (ShapedType::isDynamic(da) || ShapedType::isDynamic(db))
      result.push_back(ShapedType::kDynamic);
    else
      return emitError() << "matmul batch dimensions " << da << " and " << db
                         << " do not broadcast";
  }
  if (!lhsVector)
    result.push_back(a[a.size() - 2]);
  if (!rhsVector)
    result.push_back(b.back());
  return success();
}

LogicalResult
mlir::qc::inferConvShape(ArrayRef<int64_t> input, ArrayRef<int64_t> weight,
                         ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
                         ArrayRef<int64_t> pads, int64_t group,
                         SmallVectorImpl<int64_t> &result,
                         function_ref<InFlightDiagnostic()> emitError) {
  int64_t rank = input.size();
  if (rank < 3)
    return emitError() << "convolution input must have rank >= 3, got " << rank;
  if (int64_t(weight.size()) != rank)
    return emitError() << "convolution weight rank " << weight.size()
                       << " differs from input rank " << rank;
  int64_t spatial = rank - 2;
  if (int64_t(strides.size()) != spatial ||
      int64_t(dilations.size()) != spatial ||
      int64_t(pads.size()) != 2 * spatial)
    return emitError() << "convolution needs " << spatial
                       << " strides and dilations and " << 2 * spatial
                       << " pads";
  if (group < 1)
    return emitError() << "convolution group must be >= 1, got " << group;
  int64_t channels = input[1], outChannels = weight[0];
  if (!ShapedType::isDynamic(channels) && !ShapedType::isDynamic(weight[1]) &&
      channels != weight[1] * group)
    return emitError() << "convolution input has " << channels
                       << " channels but weight expects " << weight[1]
                       << " x group " << group;
  if (!ShapedType::isDynamic(outChannels) && outChannels % group != 0)
    return emitError() << "convolution output channels " << outChannels
                       << " are not a multiple of group " << group;
  result.assign({input[0], outChannels});
  for (int64_t i = 0; i < spatial; ++i) {
    if (strides[i] < 1 || dilations[i] < 1)
      return emitError() << "convolution strides and dilations must be >= 1";
    if (pads[i] < 0 || pads[i + spatial] < 0)
      return emitError() << "convolution pads must be >= 0";
    int64_t size = input[i + 2], kernel = weight[i + 2];
    if (ShapedType::isDynamic(size) || ShapedType::isDynamic(kernel)) {
      result.push_back(ShapedType::kDynamic);
      continue;
    }
    int64_t span =
        size + pads[i] + pads[i + spatial] - dilations[i] * (kernel - 1) - 1;
    if (span < 0)
      return emitError() << "convolution kernel extent exceeds padded input "
                            "along spatial dimension "
                         << i;
    result.push_back(span / strides[i] + 1);
  }
  return success();
}

/// Checks a quantized element type (if any) against the shape it is used with.
static LogicalResult verifyQuantizedShape(Operation *op, Type type,
                                          StringRef what) {
  auto shaped = dyn_cast<ShapedType>(type);
  UniformType quant = getUniformElementType(type);
  if (!shaped || !quant)
    return success();
  return quant.verifyCompatibleShape(
      shaped.getShape(), [&]() { return op->emitOpError() << what << ": "; });
}

//===----------------------------------------------------------------------===//
// Quantization casts
//===----------------------------------------------------------------------===//

LogicalResult QuantizeOp::verify() {
  UniformType quant = getUniformElementType(getOutput().getType());
  Type inputElement = getInput().getType().getElementType();
  if (inputElement != quant.getExpressedType())
    return emitOpError() << "input element type " << inputElement
                         << " differs from the expressed type "
                         << quant.getExpressedType();
  if (!getSaturate() && !quant.isFloat8())
    return emitOpError() << "saturate = false is only defined for FP8 storage";
  return verifyQuantizedShape(*this, getOutput().getType(), "result");
}

LogicalResult DequantizeOp::verify() {
  UniformType quant = getUniformElementType(getInput().getType());
  Type outputElement = getOutput().getType().getElementType();
  if (outputElement != quant.getExpressedType())
    return emitOpError() << "result element type " << outputElement
                         << " differs from the expressed type "
                         << quant.getExpressedType();
  return verifyQuantizedShape(*this, getInput().getType(), "input");
}

LogicalResult RequantizeOp::verify() {
  UniformType in = getUniformElementType(getInput().getType());
  UniformType out = getUniformElementType(getOutput().getType());
  if (in.getExpressedType() != out.getExpressedType())
    return emitOpError() << "input and result expressed types differ: "
                         << in.getExpressedType() << " vs "
                         << out.getExpressedType();
  if (failed(verifyQuantizedShape(*this, getInput().getType(), "input")))
    return failure();
  return verifyQuantizedShape(*this, getOutput().getType(), "result");
}

LogicalResult StorageCastOp::verify() {
  UniformType in = getUniformElementType(getInput().getType());
  UniformType out = getUniformElementType(getOutput().getType());
  if ((in != nullptr) == (out != nullptr))
    return emitOpError() << "exactly one side must be quantized";
  UniformType quant = in ? in : out;
  Type other =
      cast<ShapedType>(in ? getOutput().getType() : getInput().getType())
          .getElementType();
  if (other != quant.getStorageMemoryType())
    return emitOpError() << "the non-quantized side must have element type "
                         << quant.getStorageMemoryType() << ", got " << other;
  return verifyQuantizedShape(*this,
                              in ? getInput().getType() : getOutput().getType(),
                              "quantized side");
}

OpFoldResult StorageCastOp::fold(FoldAdaptor) {
  // storage_cast(storage_cast(x)) with matching outer types is x.
  if (auto producer = getInput().getDefiningOp<StorageCastOp>())
    if (producer.getInput().getType() == getType())
      return producer.getInput();
  return {};
}

LogicalResult ObserveOp::verify() {
  if (getName().empty())
    return emitOpError() << "needs a non-empty name";
  return success();
}

//===----------------------------------------------------------------------===//
// Compute ops
//===----------------------------------------------------------------------===//

/// Element type of a compute-op operand or result for typing rules: the
/// expressed type of a quantized type, else the type itself.
static Type getRealElementType(Type type) {
  Type element = cast<ShapedType>(type).getElementType();
  if (auto quant = dyn_cast<UniformType>(element))
    return quant.getExpressedType();
  return element;
}

/// Typing rule shared by qc.matmul and qc.conv: all-float operands give a
/// result of the same float type; quantized data with float or quantized
/// weights gives a float or quantized result; quantized weights with float
/// data (weight-only quantization) give a float result. All sides share one
/// expressed type.
static LogicalResult verifyComputeTypes(Operation *op, Type data, Type weight,
                                        Type result) {
  Type real = getRealElementType(data);
  if (!isExpressedFloatType(real))
    return op->emitOpError() << "operands must be float or !qc.uniform, got "
                             << cast<ShapedType>(data).getElementType();
  if (getRealElementType(weight) != real || getRealElementType(result) != real)
    return op->emitOpError()
           << "operands and result must share one expressed float type";
  bool dataQuant = getUniformElementType(data) != nullptr;
  bool weightQuant = getUniformElementType(weight) != nullptr;
  bool resultQuant = getUniformElementType(result) != nullptr;
  if (!dataQuant && resultQuant)
    return op->emitOpError()
           << "a quantized result needs quantized data operands";
  if (dataQuant && !weightQuant)
    return op->emitOpError()
           << "quantized data needs a quantized weight operand";
  if (dataQuant && getUniformElementType(data).getAxis() >= 0)
    return op->emitOpError() << "data operands must be quantized per tensor";
  return success();
}

LogicalResult MatMulOp::verify() {
  auto lhsType = cast<RankedTensorType>(getLhs().getType());
  auto rhsType = cast<RankedTensorType>(getRhs().getType());
  auto resultType = cast<RankedTensorType>(getResult().getType());
  if (failed(verifyComputeTypes(*this, lhsType, rhsType, resultType)) ||
      failed(verifyQuantizedShape(*this, rhsType, "rhs")) ||
      failed(verifyQuantizedShape(*this, resultType, "result")))
    return failure();
  SmallVector<int64_t> expected;
  if (failed(inferMatMulShape(lhsType.getShape(), rhsType.getShape(), expected,
                              [&]() { return emitOpError(); })))
    return failure();
  if (failed(mlir::verifyCompatibleShape(expected, resultType.getShape())))
    return emitOpError() << "result shape does not match the operands";
  return success();
}

LogicalResult ConvOp::verify() {
  auto inputType = cast<RankedTensorType>(getInput().getType());
  auto weightType = cast<RankedTensorType>(getWeight().getType());
  auto resultType = cast<RankedTensorType>(getResult().getType());
  if (failed(verifyComputeTypes(*this, inputType, weightType, resultType)) ||
      failed(verifyQuantizedShape(*this, weightType, "weight")) ||
      failed(verifyQuantizedShape(*this, resultType, "result")))
    return failure();
  SmallVector<int64_t> expected;
  if (failed(inferConvShape(inputType.getShape(), weightType.getShape(),
                            getStrides(), getDilations(), getPads(), getGroup(),
                            expected, [&]() { return emitOpError(); })))
    return failure();
  if (failed(mlir::verifyCompatibleShape(expected, resultType.getShape())))
    return emitOpError() << "result shape does not match the operands";
  if (Value bias = getBias()) {
    auto biasType = cast<RankedTensorType>(bias.getType());
    if (biasType.getRank() != 1 ||
        (!biasType.isDynamicDim(0) && !weightType.isDynamicDim(0) &&
         biasType.getDimSize(0) != weightType.getDimSize(0)))
      return emitOpError() << "bias must be 1-D with one entry per output "
                              "channel";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// PackedMatMulOp
//===----------------------------------------------------------------------===//

LogicalResult PackedMatMulOp::verify() {
  auto lhs = cast<ShapedType>(getLhs().getType());
  auto rhs = cast<ShapedType>(getRhs().getType());
  auto init = cast<ShapedType>(getInit().getType());
  if (!lhs.hasStaticShape() || !rhs.hasStaticShape() || !init.hasStaticShape())
    return emitOpError() << "operands must have static shapes";
  if (lhs.getRank() != 2 || rhs.getRank() != 4 || init.getRank() != 2)
    return emitOpError() << "expects lhs [M, K], rhs [N1, K1, N0, K0] and "
                            "init [M, N1 * N0]";
  bool tensors = isa<RankedTensorType>(lhs) && isa<RankedTensorType>(rhs) &&
                 isa<RankedTensorType>(init);
  bool memrefs =
      isa<MemRefType>(lhs) && isa<MemRefType>(rhs) && isa<MemRefType>(init);
  if (!tensors && !memrefs)
    return emitOpError() << "operands must be all tensors or all memrefs";
  if (tensors != (getNumResults() == 1))
    return emitOpError() << "has one result on tensors and none on memrefs";
  if (tensors && getResult()[0].getType() != init)
    return emitOpError() << "result type must match init";
  ArrayRef<int64_t> r = rhs.getShape();
  if (lhs.getDimSize(1) != r[1] * r[3])
    return emitOpError() << "lhs has K = " << lhs.getDimSize(1)
                         << " but the packed rhs has K1 * K0 = " << r[1] * r[3];
  if (init.getDimSize(0) != lhs.getDimSize(0) ||
      init.getDimSize(1) != r[0] * r[2])
    return emitOpError() << "init must be [M, N1 * N0] = [" << lhs.getDimSize(0)
                         << ", " << r[0] * r[2] << "]";
  Type a = lhs.getElementType(), b = rhs.getElementType(),
       c = init.getElementType();
  bool integer = a.isInteger(8) && b.isInteger(8) && c.isInteger(32);
  bool floating = a.isF32() && b.isF32() && c.isF32();
  if (!integer && !floating)
    return emitOpError() << "expects (i8, i8) -> i32 or (f32, f32) -> f32";
  return success();
}

void PackedMatMulOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  if (!isa<MemRefType>(getInit().getType()))
    return;
  effects.emplace_back(MemoryEffects::Read::get(), &getLhsMutable(),
                       SideEffects::DefaultResource::get());
  effects.emplace_back(MemoryEffects::Read::get(), &getRhsMutable(),
                       SideEffects::DefaultResource::get());
  effects.emplace_back(MemoryEffects::Read::get(), &getInitMutable(),
                       SideEffects::DefaultResource::get());
  effects.emplace_back(MemoryEffects::Write::get(), &getInitMutable(),
                       SideEffects::DefaultResource::get());
}

//===----------------------------------------------------------------------===//
// PackedDequantMatMulOp
//===----------------------------------------------------------------------===//

LogicalResult PackedDequantMatMulOp::verify() {
  auto lhs = cast<ShapedType>(getLhs().getType());
  auto rhs = cast<ShapedType>(getRhs().getType());
  auto scales = cast<ShapedType>(getScales().getType());
  auto zeroPoints = cast<ShapedType>(getZeroPoints().getType());
  auto init = cast<ShapedType>(getInit().getType());
  SmallVector<ShapedType> all{lhs, rhs, scales, zeroPoints, init};
  if (llvm::any_of(all, [](ShapedType t) { return !t.hasStaticShape(); }))
    return emitOpError() << "operands must have static shapes";
  bool tensors =
      llvm::all_of(all, [](ShapedType t) { return isa<RankedTensorType>(t); });
  bool memrefs =
      llvm::all_of(all, [](ShapedType t) { return isa<MemRefType>(t); });
  if (!tensors && !memrefs)
    return emitOpError() << "operands must be all tensors or all memrefs";
  if (tensors != (getNumResults() == 1))
    return emitOpError() << "has one result on tensors and none on memrefs";
  if (tensors && getResult()[0].getType() != init)
    return emitOpError() << "result type must match init";
  int64_t bits = getBits(), groupSize = getGroupSize();
  if (bits != 4 && bits != 8)
    return emitOpError() << "bits must be 4 or 8, got " << bits;
  if (groupSize < 1)
    return emitOpError() << "group_size must be positive, got " << groupSize;
  if (lhs.getRank() != 2 || rhs.getRank() != 4 || scales.getRank() != 4 ||
      zeroPoints.getRank() != 4 || init.getRank() != 2)
    return emitOpError() << "expects lhs [M, K], rhs [N2, ceil(K / K0), T, "
                            "16], scales and zero_points [N2, G, T, 16] and "
                            "init [M, N2 * T * 16]";
  if (!lhs.getElementType().isF32() || !rhs.getElementType().isInteger(32) ||
      !scales.getElementType().isF32() ||
      !zeroPoints.getElementType().isF32() || !init.getElementType().isF32())
    return emitOpError() << "expects f32 lhs, scales, zero_points and init "
                            "and an i32 rhs";
  int64_t k = lhs.getDimSize(1), k0 = getK0();
  int64_t n2 = rhs.getDimSize(0), words = (k + k0 - 1) / k0;
  int64_t tiles = rhs.getDimSize(2);
  if (rhs.getDimSize(1) != words || tiles < 1 || rhs.getDimSize(3) != 16)
    return emitOpError() << "rhs must be [N2, " << words
                         << ", T, 16] (T >= 1) for K = " << k << " and " << bits
                         << "-bit codes";
  int64_t groups = (k + groupSize - 1) / groupSize;
  SmallVector<int64_t> paramShape{n2, groups, tiles, 16};
  if (scales.getShape() != ArrayRef<int64_t>(paramShape) ||
      zeroPoints.getShape() != ArrayRef<int64_t>(paramShape))
    return emitOpError() << "scales and zero_points must be [" << n2 << ", "
                         << groups << ", " << tiles << ", 16]";
  if (init.getDimSize(0) != lhs.getDimSize(0) ||
      init.getDimSize(1) != n2 * tiles * 16)
    return emitOpError() << "init must be [M, N2 * T * 16] = ["
                         << lhs.getDimSize(0) << ", " << n2 * tiles * 16 << "]";
  if (getInt8Compute()) {
    if (groups != 1 && groupSize % k0 != 0)
      return emitOpError() << "int8_compute needs group_size to be a multiple "
                              "of "
                           << k0 << " (whole packed rows), got " << groupSize;
    if (std::min(groupSize, k) > 65536)
      return emitOpError() << "int8_compute needs groups of at most 65536 "
                              "inputs (exact i32 sums)";
  }
  return success();
}

void PackedDequantMatMulOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  if (!isa<MemRefType>(getInit().getType()))
    return;
  for (OpOperand *operand : {&getLhsMutable(), &getRhsMutable(),
                             &getScalesMutable(), &getZeroPointsMutable()})
    effects.emplace_back(MemoryEffects::Read::get(), operand,
                         SideEffects::DefaultResource::get());
  effects.emplace_back(MemoryEffects::Read::get(), &getInitMutable(),
                       SideEffects::DefaultResource::get());
  effects.emplace_back(MemoryEffects::Write::get(), &getInitMutable(),
                       SideEffects::DefaultResource::get());
}
