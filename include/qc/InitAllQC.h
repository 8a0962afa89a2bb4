//===- InitAllQC.h - Register every qc dialect and pass ---------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_INITALLQC_H
#define QC_INITALLQC_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mlir::qc {

/// Adds the qc dialect, every upstream dialect and the interfaces qc's
/// pipelines rely on (bufferization, LLVM translation, ...).
void registerAllQCDialects(DialectRegistry &registry);

/// Registers every qc pass and pass pipeline with the global registry, so
/// that `qc-opt` (and plugins) can name them.
void registerAllQCPasses();

} // namespace mlir::qc

#endif // QC_INITALLQC_H
