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
                                APFloat min, APFloat max, int64_t count) {
  if (min.isNaN() || max.isNaN() || min.isInfinity() || max.isInfinity())
    return emitError() << "statistics must be finite";
  if (max.compare(min) == APFloat::cmpLessThan)
    return emitError() << "statistics min is greater than max";
  if (count < 0)
    return emitError() << "statistics count must be non-negative";
  return success();
}

/// #qc.stats<min = F, max = F, count = N>
Attribute StatsAttr::parse(AsmParser &parser, Type) {
  double min, max;
  int64_t count;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess() || parser.parseKeyword("min") || parser.parseEqual() ||
      parser.parseFloat(min) || parser.parseComma() ||
      parser.parseKeyword("max") || parser.parseEqual() ||
      parser.parseFloat(max) || parser.parseComma() ||
      parser.parseKeyword("count") || parser.parseEqual() ||
      parser.parseInteger(count) || parser.parseGreater())
    return {};
  return parser.getChecked<StatsAttr>(loc, parser.getContext(), APFloat(min),
                                      APFloat(max), count);
}

void StatsAttr::print(AsmPrinter &printer) const {
  raw_ostream &os = printer.getStream();
  os << "<min = ";
  detail::printRoundTripFloat(os, getMin());
  os << ", max = ";
  detail::printRoundTripFloat(os, getMax());
  os << ", count = " << getCount() << ">";
}

UniformType mlir::qc::getUniformElementType(Type type) {
  if (auto shaped = dyn_cast<ShapedType>(type))
    type = shaped.getElementType();
  return dyn_cast<UniformType>(type);
}

bool mlir::qc::isExpressedFloatType(Type type) {
  return type.isF16() || type.isBF16() || type.isF32() || type.isF64();
}
