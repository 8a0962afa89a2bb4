//===- QCDetail.cpp - qc dialect implementation helpers -------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "QCDetail.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <string>

using namespace llvm;

/// Prints `value` with the fewest digits that parse back to the same value in
/// its own semantics, always as an MLIR float literal (with a '.').
void mlir::qc::detail::printRoundTripFloat(raw_ostream &os,
                                           const APFloat &value) {
  double d = value.convertToDouble();
  std::string text;
  for (int precision = 6; precision <= 17; ++precision) {
    text.clear();
    llvm::raw_string_ostream(text) << llvm::format("%.*g", precision, d);
    APFloat reparsed(std::strtod(text.c_str(), nullptr));
    bool losesInfo;
    reparsed.convert(value.getSemantics(), APFloat::rmNearestTiesToEven,
                     &losesInfo);
    if (reparsed.bitwiseIsEqual(value))
      break;
  }
  size_t expPos = text.find_first_of("eE");
  if (text.find('.') == std::string::npos)
    text.insert(expPos == std::string::npos ? text.size() : expPos, ".0");
  os << text;
}
