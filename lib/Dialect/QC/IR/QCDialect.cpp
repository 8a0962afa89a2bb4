//===- QCDialect.cpp - qc dialect registration ----------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/IR/QCDialect.h"
#include "QCDetail.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::qc;

#include "qc/Dialect/QC/IR/QCDialect.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "qc/Dialect/QC/IR/QCAttrs.cpp.inc"

void QCDialect::initialize() {
  registerTypes();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "qc/Dialect/QC/IR/QCAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "qc/Dialect/QC/IR/QCOps.cpp.inc"
      >();
}

LogicalResult StatsAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                APFloat min, APFloat max, int64_t count,
                                APFloat histMax, DenseIntElementsAttr hist,
                                int64_t channelAxis,
                                DenseFPElementsAttr channelMin,
                                DenseFPElementsAttr channelMax) {
  if (!min.isFinite() || !max.isFinite() || !histMax.isFinite())
    return emitError() << "statistics must be finite";
  if (max.compare(min) == APFloat::cmpLessThan)
    return emitError() << "statistics min is greater than max";
  if (count < 0)
    return emitError() << "statistics count must be non-negative";
  if (hist) {
    if (hist.getType().getRank() != 1 || hist.getNumElements() == 0 ||
        !hist.getElementType().isSignlessInteger(64))
      return emitError() << "statistics histogram must be a non-empty 1-D "
                            "i64 tensor";
    if (histMax.isNegative() || histMax.isZero())
      return emitError() << "statistics histogram needs a positive hist_max";
    for (const APInt &c : hist.getValues<APInt>())
      if (c.isNegative())
        return emitError() << "statistics histogram counts must be "
                              "non-negative";
  }
  if (static_cast<bool>(channelMin) != static_cast<bool>(channelMax))
    return emitError() << "per-channel statistics need both channel_min and "
                          "channel_max";
  if (!channelMin) {
    if (channelAxis != -1)
      return emitError() << "statistics channel_axis needs channel_min and "
                            "channel_max";
    return success();
  }
  if (channelAxis < 0)
    return emitError() << "statistics channel_axis must be non-negative, got "
                       << channelAxis;
  for (DenseFPElementsAttr attr : {channelMin, channelMax}) {
    Type element = attr.getElementType();
    if (attr.getType().getRank() != 1 || attr.getNumElements() == 0 ||
        !(element.isF32() || element.isF64()))
      return emitError() << "statistics channel_min and channel_max must be "
                            "non-empty 1-D f32 or f64 tensors";
  }
  if (channelMin.getNumElements() != channelMax.getNumElements())
    return emitError() << "statistics channel_min has "
                       << channelMin.getNumElements()
                       << " entries but channel_max has "
                       << channelMax.getNumElements();
  int64_t channel = 0;
  for (auto [lo, hi] : llvm::zip(channelMin.getValues<APFloat>(),
                                 channelMax.getValues<APFloat>())) {
    if (!lo.isFinite() || !hi.isFinite())
      return emitError() << "per-channel statistics must be finite (channel "
                         << channel << ")";
    if (hi.compare(lo) == APFloat::cmpLessThan)
      return emitError() << "per-channel statistics min is greater than max "
                            "(channel "
                         << channel << ")";
    ++channel;
  }
  return success();
}

/// Parses `= <1-D float dense attribute>` for a per-channel array.
static ParseResult parseChannelArray(AsmParser &parser, StringRef keyword,
                                     DenseFPElementsAttr &result) {
  if (parser.parseEqual())
    return failure();
  SMLoc loc = parser.getCurrentLocation();
  Attribute attr;
  if (parser.parseAttribute(attr))
    return failure();
  result = dyn_cast<DenseFPElementsAttr>(attr);
  if (!result)
    return parser.emitError(loc)
           << "expected a dense float tensor for " << keyword;
  return success();
}

/// #qc.stats<min = F, max = F, count = N[, hist_max = F, hist = ATTR]
///           [, channel_axis = N, channel_min = ATTR, channel_max = ATTR]>
Attribute StatsAttr::parse(AsmParser &parser, Type) {
  double min, max, histMax = 0.0;
  int64_t count, channelAxis = -1;
  DenseIntElementsAttr hist;
  DenseFPElementsAttr channelMin, channelMax;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess() || parser.parseKeyword("min") || parser.parseEqual() ||
      parser.parseFloat(min) || parser.parseComma() ||
      parser.parseKeyword("max") || parser.parseEqual() ||
      parser.parseFloat(max) || parser.parseComma() ||
      parser.parseKeyword("count") || parser.parseEqual() ||
      parser.parseInteger(count))
    return {};
  bool seenHist = false, seenChannels = false;
  while (succeeded(parser.parseOptionalComma())) {
    SMLoc keyLoc = parser.getCurrentLocation();
    StringRef keyword;
    if (parser.parseKeyword(&keyword))
      return {};
    if (keyword == "hist_max" && !seenHist && !seenChannels) {
      seenHist = true;
      Attribute attr;
      if (parser.parseEqual() || parser.parseFloat(histMax) ||
          parser.parseComma() || parser.parseKeyword("hist") ||
          parser.parseEqual())
        return {};
      SMLoc histLoc = parser.getCurrentLocation();
      if (parser.parseAttribute(attr))
        return {};
      hist = dyn_cast<DenseIntElementsAttr>(attr);
      if (!hist) {
        parser.emitError(histLoc, "expected a dense integer histogram");
        return {};
      }
    } else if (keyword == "channel_axis" && !seenChannels) {
      seenChannels = true;
      if (parser.parseEqual() || parser.parseInteger(channelAxis) ||
          parser.parseComma() || parser.parseKeyword("channel_min") ||
          parseChannelArray(parser, "channel_min", channelMin) ||
          parser.parseComma() || parser.parseKeyword("channel_max") ||
          parseChannelArray(parser, "channel_max", channelMax))
        return {};
    } else {
      parser.emitError(keyLoc)
          << "unexpected '" << keyword
          << "' in statistics (expected hist_max = F, hist = ... and then "
             "channel_axis = N, channel_min = ..., channel_max = ...)";
      return {};
    }
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<StatsAttr>(
      loc, parser.getContext(), APFloat(min), APFloat(max), count,
      APFloat(histMax), hist, channelAxis, channelMin, channelMax);
}

void StatsAttr::print(AsmPrinter &printer) const {
  raw_ostream &os = printer.getStream();
  os << "<min = ";
  detail::printRoundTripFloat(os, getMin());
  os << ", max = ";
  detail::printRoundTripFloat(os, getMax());
  os << ", count = " << getCount();
  if (getHist()) {
    os << ", hist_max = ";
    detail::printRoundTripFloat(os, getHistMax());
    os << ", hist = ";
    printer.printAttribute(getHist());
  }
  if (hasChannelStats()) {
    os << ", channel_axis = " << getChannelAxis() << ", channel_min = ";
    printer.printAttribute(getChannelMin());
    os << ", channel_max = ";
    printer.printAttribute(getChannelMax());
  }
  os << ">";
}

UniformType mlir::qc::getUniformElementType(Type type) {
  if (auto shaped = dyn_cast<ShapedType>(type))
    type = shaped.getElementType();
  return dyn_cast<UniformType>(type);
}

bool mlir::qc::isExpressedFloatType(Type type) {
  return type.isF16() || type.isBF16() || type.isF32() || type.isF64();
}
