//===- BufferizableOpInterfaceImpl.h - qc bufferization ---------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_QC_IR_BUFFERIZABLEOPINTERFACEIMPL_H
#define QC_DIALECT_QC_IR_BUFFERIZABLEOPINTERFACEIMPL_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mlir::qc {

/// Attaches BufferizableOpInterface to the qc ops that one-shot
/// bufferization meets (`qc.packed_matmul`).
void registerBufferizableOpInterfaceExternalModels(DialectRegistry &registry);

} // namespace mlir::qc

#endif // QC_DIALECT_QC_IR_BUFFERIZABLEOPINTERFACEIMPL_H
