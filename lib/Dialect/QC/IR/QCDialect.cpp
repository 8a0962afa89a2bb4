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
                                APFloat histMax, DenseIntElementsAttr hist) {
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
  return success();
}

/// #qc.stats<min = F, max = F, count = N[, hist_max = F, hist = ATTR]>
Attribute StatsAttr::parse(AsmParser &parser, Type) {
  double min, max, histMax = 0.0;
  int64_t count;
  DenseIntElementsAttr hist;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess() || parser.parseKeyword("min") || parser.parseEqual() ||
      parser.parseFloat(min) || parser.parseComma() ||
      parser.parseKeyword("max") || parser.parseEqual() ||
      parser.parseFloat(max) || parser.parseComma() ||
      parser.parseKeyword("count") || parser.parseEqual() ||
      parser.parseInteger(count))
    return {};
  if (succeeded(parser.parseOptionalComma())) {
    Attribute attr;
    SMLoc histLoc;
    if (parser.parseKeyword("hist_max") || parser.parseEqual() ||
        parser.parseFloat(histMax) || parser.parseComma() ||
        parser.parseKeyword("hist") || parser.parseEqual())
      return {};
    histLoc = parser.getCurrentLocation();
    if (parser.parseAttribute(attr))
      return {};
    hist = dyn_cast<DenseIntElementsAttr>(attr);
    if (!hist) {
      parser.emitError(histLoc, "expected a dense integer histogram");
      return {};
    }
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<StatsAttr>(loc, parser.getContext(), APFloat(min),
                                      APFloat(max), count, APFloat(histMax),
                                      hist);
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
