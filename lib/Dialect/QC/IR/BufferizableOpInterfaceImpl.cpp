//===- BufferizableOpInterfaceImpl.cpp - qc bufferization -----------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/IR/BufferizableOpInterfaceImpl.h"
#include "qc/Dialect/QC/IR/QCDialect.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/IR/DstBufferizableOpInterfaceImpl.h"
#include "mlir/IR/DialectRegistry.h"

using namespace mlir;
using namespace mlir::bufferization;
using namespace mlir::qc;

namespace {

/// qc.packed_matmul on tensors -> the same op on the operands' buffers,
/// updating init's buffer in place.
struct PackedMatMulBufferization
    : public DstBufferizableOpInterfaceExternalModel<PackedMatMulBufferization,
                                                     PackedMatMulOp> {
  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto matmul = cast<PackedMatMulOp>(op);
    FailureOr<Value> lhs = getBuffer(rewriter, matmul.getLhs(), options, state);
    FailureOr<Value> rhs = getBuffer(rewriter, matmul.getRhs(), options, state);
    FailureOr<Value> init =
        getBuffer(rewriter, matmul.getInit(), options, state);
    if (failed(lhs) || failed(rhs) || failed(init))
      return failure();
    rewriter.setInsertionPoint(op);
    PackedMatMulOp::create(rewriter, op->getLoc(), TypeRange{}, *lhs, *rhs,
                           *init);
    replaceOpWithBufferizedValues(rewriter, op, *init);
    return success();
  }
};

/// qc.packed_dequant_matmul on tensors -> the same op on buffers.
struct PackedDequantMatMulBufferization
    : public DstBufferizableOpInterfaceExternalModel<
          PackedDequantMatMulBufferization, PackedDequantMatMulOp> {
  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto matmul = cast<PackedDequantMatMulOp>(op);
    SmallVector<Value> buffers;
    for (Value operand : op->getOperands()) {
      FailureOr<Value> buffer = getBuffer(rewriter, operand, options, state);
      if (failed(buffer))
        return failure();
      buffers.push_back(*buffer);
    }
    rewriter.setInsertionPoint(op);
    PackedDequantMatMulOp::create(
        rewriter, op->getLoc(), TypeRange{}, buffers[0], buffers[1], buffers[2],
        buffers[3], buffers[4], matmul.getBits(), matmul.getGroupSize(),
        matmul.getInt8Compute());
    replaceOpWithBufferizedValues(rewriter, op, buffers[4]);
    return success();
  }
};

} // namespace

void mlir::qc::registerBufferizableOpInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, QCDialect *) {
    PackedMatMulOp::attachInterface<PackedMatMulBufferization>(*ctx);
    PackedDequantMatMulOp::attachInterface<PackedDequantMatMulBufferization>(
        *ctx);
  });
}
