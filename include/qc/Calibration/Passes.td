//===- Passes.td - qc calibration passes -------------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_CALIBRATION_PASSES_TD
#define QC_CALIBRATION_PASSES_TD

include "mlir/Pass/PassBase.td"

def InsertObserversPass : Pass<"qc-insert-observers", "func::FuncOp"> {
  let summary = "Put a qc.observe probe on every tensor quantization will need";
  let description = [{
    Observes the float data operands of `qc.matmul` and `qc.conv` (both
    operands of a matmul when neither is a constant, as in attention), once
    per value. Each probe is named after the value: its ONNX tensor name
    (recorded in the producer's location by the importer, or the model
    input's name); failing that, the node name of its location, with `@N`
    added to tell apart several values of one node. Names depend only on the graph,
    not on shapes, so a model imported twice (for calibration and for
    deployment, possibly with different batch sizes) gets the same names.
  }];
  let dependentDialects = ["::mlir::qc::QCDialect"];
}

def LowerObserversPass : Pass<"qc-lower-observers", "ModuleOp"> {
  let summary = "Turn qc.observe into calls to the calibration hook";
  let description = [{
    For a calibration build: each `qc.observe` number `i` becomes a call to
    a private function `__qc_observe_i(tensor)`; after lowering,
    `qc-aot-export` defines those functions to pass the tensor's data to the
    hook set with `qc_model_set_observer`. The probes' names are recorded in
    order on the module as `qc.observers`, their element counts as
    `qc.observer_sizes`, and, for the calibrator's per-channel statistics,
    each probe's channel axis, channel count and channel stride (in elements
    of the flat row-major data) as `qc.observer_channel_axes`,
    `qc.observer_channels` and `qc.observer_channel_strides`: a probe on the
    data operand of a `qc.matmul` has the last (contracted) dimension as
    channel (stride 1); other probes have axis -1, 0 channels, stride 0.
  }];
}

def StripObserversPass : Pass<"qc-strip-observers", "func::FuncOp"> {
  let summary = "Remove qc.observe probes";
}

#endif // QC_CALIBRATION_PASSES_TD
