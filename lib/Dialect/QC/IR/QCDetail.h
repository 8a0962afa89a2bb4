//===- QCDetail.h - qc dialect implementation helpers ------------*- C++
//-*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_DIALECT_QC_IR_QCDETAIL_H
#define QC_LIB_DIALECT_QC_IR_QCDETAIL_H

#include "llvm/ADT/APFloat.h"

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace mlir::qc::detail {

/// Prints `value` with the fewest digits that parse back to the same value in
/// its own semantics, always as an MLIR float literal (with a '.').
void printRoundTripFloat(llvm::raw_ostream &os, const llvm::APFloat &value);

} // namespace mlir::qc::detail

#endif // QC_LIB_DIALECT_QC_IR_QCDETAIL_H
