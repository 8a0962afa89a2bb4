//===- QCTypes.cpp - qc dialect types -------------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "QCDetail.h"
#include "qc/Dialect/QC/IR/QCDialect.h"
#include "qc/Support/QuantMath.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Format.h"

#include <cstdlib>

using namespace mlir;
using namespace mlir::qc;

#define GET_TYPEDEF_CLASSES
#include "qc/Dialect/QC/IR/QCTypes.cpp.inc"

void QCDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "qc/Dialect/QC/IR/QCTypes.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

static bool isFloat8Storage(Type type) {
  return isa<Float8E4M3FNType, Float8E5M2Type>(type);
}

static bool isValidIntegerWidth(unsigned width) {
  return (width >= 2 && width <= 8) || width == 16 || width == 32;
}

/// The storage range of an FP8 type, as the largest finite magnitude.
static int64_t float8Max(Type type) {
  return isa<Float8E4M3FNType>(type) ? 448 : 57344;
}

/// Converts `value` to the semantics of `type`, rounding to nearest even.
static APFloat toSemantics(double value, FloatType type) {
  APFloat result(value);
  bool losesInfo;
  result.convert(type.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                 &losesInfo);
  return result;
}

//===----------------------------------------------------------------------===//
// Builders and accessors
//===----------------------------------------------------------------------===//

UniformType UniformType::getPerTensor(Type storageType, bool isSigned,
                                      int64_t storageMin, int64_t storageMax,
                                      FloatType expressedType, double scale,
                                      int64_t zeroPoint) {
  MLIRContext *ctx = storageType.getContext();
  auto scaleType = RankedTensorType::get({}, expressedType);
  auto zpType = RankedTensorType::get({}, IntegerType::get(ctx, 32));
  auto scales =
      DenseElementsAttr::get(scaleType, toSemantics(scale, expressedType));
  auto zps = DenseElementsAttr::get(zpType, APInt(32, zeroPoint, true));
  return get(ctx, storageType, isSigned, storageMin, storageMax, expressedType,
             -1, 0, scales, zps);
}

UniformType UniformType::getPerAxis(Type storageType, bool isSigned,
                                    int64_t storageMin, int64_t storageMax,
                                    FloatType expressedType, int32_t axis,
                                    ArrayRef<double> scales,
                                    ArrayRef<int64_t> zeroPoints) {
  MLIRContext *ctx = storageType.getContext();
  int64_t n = scales.size();
  auto scaleType = RankedTensorType::get({n}, expressedType);
  auto zpType = RankedTensorType::get({n}, IntegerType::get(ctx, 32));
  SmallVector<APFloat> scaleValues;
  for (double s : scales)
    scaleValues.push_back(toSemantics(s, expressedType));
  SmallVector<APInt> zpValues;
  for (int64_t i = 0; i < n; ++i)
    zpValues.push_back(
        APInt(32, zeroPoints.empty() ? 0 : zeroPoints[i], /*isSigned=*/true));
  return get(ctx, storageType, isSigned, storageMin, storageMax, expressedType,
             axis, 0, DenseElementsAttr::get(scaleType, scaleValues),
             DenseElementsAttr::get(zpType, zpValues));
}

UniformType UniformType::getInteger(MLIRContext *ctx, unsigned width,
                                    bool isSigned, FloatType expressedType,
                                    double scale, int64_t zeroPoint) {
  math::StorageRange range = math::integerRange(width, isSigned);
  return getPerTensor(IntegerType::get(ctx, width), isSigned, range.min,
                      range.max, expressedType, scale, zeroPoint);
}

bool UniformType::isFloat8() const { return isFloat8Storage(getStorageType()); }

unsigned UniformType::getStorageWidth() const {
  if (isFloat8())
    return 8;
  return cast<IntegerType>(getStorageType()).getWidth();
}

IntegerType UniformType::getStorageMemoryType() const {
  return IntegerType::get(getContext(), getStorageWidth());
}

bool UniformType::hasZeroZeroPoints() const {
  return llvm::all_of(getZeroPoints().getValues<APInt>(),
                      [](const APInt &v) { return v.isZero(); });
}

double UniformType::getScale() const {
  return getScales().getValues<APFloat>()[0].convertToDouble();
}

int64_t UniformType::getZeroPoint() const {
  return getZeroPoints().getValues<APInt>()[0].getSExtValue();
}

SmallVector<double> UniformType::getScaleValues() const {
  SmallVector<double> result;
  for (const APFloat &v : getScales().getValues<APFloat>()) {
    APFloat d = v;
    bool losesInfo;
    d.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &losesInfo);
    result.push_back(d.convertToDouble());
  }
  return result;
}

SmallVector<int64_t> UniformType::getZeroPointValues() const {
  SmallVector<int64_t> result;
  for (const APInt &v : getZeroPoints().getValues<APInt>())
    result.push_back(v.getSExtValue());
  return result;
}

//===----------------------------------------------------------------------===//
// Verification
//===----------------------------------------------------------------------===//

LogicalResult UniformType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  Type storageType, bool isSigned,
                                  int64_t storageMin, int64_t storageMax,
                                  FloatType expressedType, int32_t axis,
                                  int64_t blockSize, DenseElementsAttr scales,
                                  DenseElementsAttr zeroPoints) {
  bool isFloat8 = isFloat8Storage(storageType);
  if (isFloat8) {
    if (!isSigned)
      return emitError() << "FP8 storage is always signed";
    if (storageMin != -float8Max(storageType) ||
        storageMax != float8Max(storageType))
      return emitError() << "FP8 storage range must be the type's full range";
  } else if (auto intType = dyn_cast<IntegerType>(storageType)) {
    if (!intType.isSignless())
      return emitError() << "storage type must be written iN or uN";
    unsigned width = intType.getWidth();
    if (!isValidIntegerWidth(width))
      return emitError() << "storage bit width " << width
                         << " is out of range (expected 2 to 8, 16 or 32)";
    if (!isSigned && width > 16)
      return emitError() << "unsigned storage wider than 16 bits is not "
                            "supported, got u"
                         << width;
    math::StorageRange full = math::integerRange(width, isSigned);
    if (storageMin < full.min || storageMax > full.max)
      return emitError() << "storage range [" << storageMin << ", "
                         << storageMax << "] is outside the range of "
                         << (isSigned ? "i" : "u") << width << " [" << full.min
                         << ", " << full.max << "]";
    if (storageMin >= storageMax)
      return emitError() << "storage range [" << storageMin << ", "
                         << storageMax << "] is empty";
  } else {
    return emitError()
           << "storage type must be iN, uN, f8E4M3FN or f8E5M2, got "
           << storageType;
  }

  if (!expressedType || !isExpressedFloatType(expressedType))
    return emitError() << "expressed type must be f16, bf16, f32 or f64";
  if (axis < -1)
    return emitError() << "quantization axis must be non-negative, got "
                       << axis;
  if (blockSize < 0)
    return emitError() << "block size must be positive, got " << blockSize;
  if (axis == -1 && blockSize != 0)
    return emitError() << "per-tensor quantization cannot have a block size";

  if (!scales)
    return emitError() << "missing scales";
  if (scales.getElementType() != expressedType)
    return emitError() << "scales must have the expressed type "
                       << expressedType << ", got " << scales.getElementType();
  ShapedType scaleType = scales.getType();
  if (axis == -1 && scaleType.getNumElements() != 1)
    return emitError() << "per-tensor quantization needs exactly one scale";
  if (axis >= 0 && blockSize == 0 && scaleType.getRank() != 1)
    return emitError() << "per-axis scales must be a 1-D list";
  if (blockSize > 0 && scaleType.getRank() <= axis)
    return emitError() << "per-group scales of rank " << scaleType.getRank()
                       << " cannot be blocked along axis " << axis;
  for (const APFloat &scale : scales.getValues<APFloat>()) {
    if (!scale.isFiniteNonZero() || scale.isNegative()) {
      SmallString<16> text;
      scale.toString(text);
      return emitError() << "scale must be positive and finite, got " << text;
    }
  }

  if (!zeroPoints)
    return emitError() << "missing zero points";
  if (!zeroPoints.getElementType().isSignlessInteger(32))
    return emitError() << "zero points must be i32";
  if (zeroPoints.getType().getShape() != scaleType.getShape())
    return emitError() << "zero points and scales must have the same shape";
  for (const APInt &zp : zeroPoints.getValues<APInt>()) {
    int64_t value = zp.getSExtValue();
    if (isFloat8 && value != 0)
      return emitError() << "FP8 quantization must have zero point 0, got "
                         << value;
    if (!isFloat8 && (value < storageMin || value > storageMax))
      return emitError() << "zero point " << value
                         << " is outside the storage range [" << storageMin
                         << ", " << storageMax << "]";
  }
  return success();
}

LogicalResult UniformType::verifyCompatibleShape(
    ArrayRef<int64_t> shape,
    function_ref<InFlightDiagnostic()> emitError) const {
  if (isPerTensor())
    return success();
  int64_t rank = shape.size();
  int32_t axis = getAxis();
  if (axis >= rank)
    return emitError() << "quantization axis " << axis
                       << " is out of range for a value of rank " << rank;
  ArrayRef<int64_t> scaleShape = getScales().getType().getShape();
  if (isPerAxis()) {
    if (!ShapedType::isDynamic(shape[axis]) && shape[axis] != scaleShape[0])
      return emitError() << "per-axis quantization has " << scaleShape[0]
                         << " scales but dimension " << axis << " has size "
                         << shape[axis];
    return success();
  }
  int64_t block = getBlockSize();
  if (int64_t(scaleShape.size()) != rank)
    return emitError() << "per-group scales must have the rank of the value ("
                       << rank << "), got " << scaleShape.size();
  for (int64_t i = 0; i < rank; ++i) {
    if (ShapedType::isDynamic(shape[i]))
      continue;
    if (i == axis) {
      if (shape[i] % block != 0)
        return emitError() << "block size " << block
                           << " does not divide dimension " << i << " of size "
                           << shape[i];
      if (scaleShape[i] != shape[i] / block)
        return emitError() << "per-group scales have " << scaleShape[i]
                           << " blocks along axis " << i << ", expected "
                           << shape[i] / block;
    } else if (scaleShape[i] != shape[i]) {
      return emitError() << "per-group scales dimension " << i << " is "
                         << scaleShape[i] << ", expected " << shape[i];
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Parsing and printing
//===----------------------------------------------------------------------===//

/// storage ::= `i` N | `u` N | f8E4M3FN | f8E5M2, optionally `<` min `:` max
/// `>`
static ParseResult parseStorage(AsmParser &parser, Type &storage,
                                bool &isSigned, int64_t &storageMin,
                                int64_t &storageMax) {
  SMLoc loc = parser.getCurrentLocation();
  MLIRContext *ctx = parser.getContext();
  Type parsed;
  OptionalParseResult typeResult = parser.parseOptionalType(parsed);
  if (typeResult.has_value()) {
    if (failed(*typeResult))
      return failure();
    isSigned = true;
    if (isFloat8Storage(parsed)) {
      storage = parsed;
      storageMin = -float8Max(parsed);
      storageMax = float8Max(parsed);
      return success();
    }
    auto intType = dyn_cast<IntegerType>(parsed);
    if (!intType || !intType.isSignless())
      return parser.emitError(loc, "expected storage type iN, uN, f8E4M3FN or "
                                   "f8E5M2");
    storage = intType;
  } else {
    StringRef keyword;
    if (parser.parseKeyword(&keyword))
      return failure();
    unsigned width;
    if (!keyword.consume_front("u") || keyword.getAsInteger(10, width) ||
        width == 0 || width > 64)
      return parser.emitError(loc, "expected storage type iN, uN, f8E4M3FN or "
                                   "f8E5M2");
    storage = IntegerType::get(ctx, width);
    isSigned = false;
  }
  unsigned width = cast<IntegerType>(storage).getWidth();
  if (width <= 32) {
    math::StorageRange full = math::integerRange(width, isSigned);
    storageMin = full.min;
    storageMax = full.max;
  }
  if (succeeded(parser.parseOptionalLess())) {
    if (parser.parseInteger(storageMin) || parser.parseColon() ||
        parser.parseInteger(storageMax) || parser.parseGreater())
      return failure();
  }
  return success();
}

/// param ::= float (`:` integer)?
static ParseResult parseScaleZeroPoint(AsmParser &parser, double &scale,
                                       int64_t &zeroPoint) {
  zeroPoint = 0;
  if (parser.parseFloat(scale))
    return failure();
  if (succeeded(parser.parseOptionalColon()) && parser.parseInteger(zeroPoint))
    return failure();
  return success();
}

Type UniformType::parse(AsmParser &parser) {
  MLIRContext *ctx = parser.getContext();
  SMLoc loc = parser.getCurrentLocation();
  Type storage;
  bool isSigned = true;
  int64_t storageMin = 0, storageMax = 0;
  Type expressed;
  int64_t axis = -1;
  if (parser.parseLess() ||
      parseStorage(parser, storage, isSigned, storageMin, storageMax) ||
      parser.parseColon())
    return {};
  SMLoc expressedLoc = parser.getCurrentLocation();
  if (parser.parseType(expressed))
    return {};
  auto expressedType = dyn_cast<FloatType>(expressed);
  if (!expressedType || !isExpressedFloatType(expressedType)) {
    parser.emitError(expressedLoc,
                     "expressed type must be f16, bf16, f32 or f64");
    return {};
  }
  if (succeeded(parser.parseOptionalColon())) {
    SMLoc axisLoc = parser.getCurrentLocation();
    if (parser.parseInteger(axis))
      return {};
    if (axis < 0) {
      parser.emitError(axisLoc)
          << "quantization axis must be non-negative, got " << axis;
      return {};
    }
  }
  if (parser.parseComma())
    return {};

  auto i32 = IntegerType::get(ctx, 32);
  DenseElementsAttr scales, zeroPoints;
  int64_t blockSize = 0;
  if (axis < 0) {
    double scale;
    int64_t zp;
    if (parseScaleZeroPoint(parser, scale, zp))
      return {};
    scales = DenseElementsAttr::get(RankedTensorType::get({}, expressedType),
                                    toSemantics(scale, expressedType));
    zeroPoints = DenseElementsAttr::get(RankedTensorType::get({}, i32),
                                        APInt(32, zp, /*isSigned=*/true));
  } else if (succeeded(parser.parseOptionalKeyword("block"))) {
    Attribute scaleAttr, zpAttr;
    SMLoc attrLoc;
    if (parser.parseEqual() || parser.parseInteger(blockSize) ||
        parser.parseComma() || parser.parseKeyword("scales") ||
        parser.parseEqual())
      return {};
    attrLoc = parser.getCurrentLocation();
    if (parser.parseAttribute(scaleAttr))
      return {};
    scales = dyn_cast<DenseElementsAttr>(scaleAttr);
    if (!scales) {
      parser.emitError(attrLoc, "expected dense scales");
      return {};
    }
    if (succeeded(parser.parseOptionalComma())) {
      if (parser.parseKeyword("zero_points") || parser.parseEqual())
        return {};
      attrLoc = parser.getCurrentLocation();
      if (parser.parseAttribute(zpAttr))
        return {};
      zeroPoints = dyn_cast<DenseElementsAttr>(zpAttr);
      if (!zeroPoints) {
        parser.emitError(attrLoc, "expected dense zero points");
        return {};
      }
    } else {
      zeroPoints = DenseElementsAttr::get(
          RankedTensorType::get(scales.getType().getShape(), i32),
          APInt(32, 0));
    }
  } else {
    SmallVector<double> scaleList;
    SmallVector<int64_t> zpList;
    if (parser.parseCommaSeparatedList(
            AsmParser::Delimiter::Braces, [&]() -> ParseResult {
              double scale;
              int64_t zp;
              if (parseScaleZeroPoint(parser, scale, zp))
                return failure();
              scaleList.push_back(scale);
              zpList.push_back(zp);
              return success();
            }))
      return {};
    int64_t n = scaleList.size();
    SmallVector<APFloat> scaleValues;
    SmallVector<APInt> zpValues;
    for (int64_t i = 0; i < n; ++i) {
      scaleValues.push_back(toSemantics(scaleList[i], expressedType));
      zpValues.push_back(APInt(32, zpList[i], /*isSigned=*/true));
    }
    scales = DenseElementsAttr::get(RankedTensorType::get({n}, expressedType),
                                    scaleValues);
    zeroPoints =
        DenseElementsAttr::get(RankedTensorType::get({n}, i32), zpValues);
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<UniformType>(
      loc, ctx, storage, isSigned, storageMin, storageMax, expressedType,
      int32_t(axis), blockSize, scales, zeroPoints);
}

void UniformType::print(AsmPrinter &printer) const {
  raw_ostream &os = printer.getStream();
  os << "<";
  if (isFloat8()) {
    printer.printType(getStorageType());
  } else {
    unsigned width = getStorageWidth();
    os << (getIsSigned() ? "i" : "u") << width;
    math::StorageRange full = math::integerRange(width, getIsSigned());
    if (getStorageMin() != full.min || getStorageMax() != full.max)
      os << "<" << getStorageMin() << ":" << getStorageMax() << ">";
  }
  os << ":";
  printer.printType(getExpressedType());
  if (getAxis() >= 0)
    os << ":" << getAxis();
  os << ", ";

  auto printPair = [&](const APFloat &scale, int64_t zp) {
    detail::printRoundTripFloat(os, scale);
    if (zp != 0)
      os << ":" << zp;
  };
  if (isPerTensor()) {
    printPair(getScales().getValues<APFloat>()[0], getZeroPoint());
  } else if (isPerAxis()) {
    os << "{";
    SmallVector<int64_t> zps = getZeroPointValues();
    llvm::interleaveComma(
        llvm::enumerate(getScales().getValues<APFloat>()), os,
        [&](auto it) { printPair(it.value(), zps[it.index()]); });
    os << "}";
  } else {
    os << "block = " << getBlockSize() << ", scales = ";
    printer.printAttribute(getScales());
    if (!hasZeroZeroPoints()) {
      os << ", zero_points = ";
      printer.printAttribute(getZeroPoints());
    }
  }
  os << ">";
}
