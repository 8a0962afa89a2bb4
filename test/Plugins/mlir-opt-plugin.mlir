// Debian's mlir-opt-22 links libMLIR.so dynamically, and so does
// libQCPlugin.so, so the plugin's qc dialect and passes join the one MLIR in
// the process. Pass flags of a plugin are parsed after mlir-opt's own, so
// qc passes are named in --pass-pipeline.
//
// RUN: %mlir_opt %s --load-dialect-plugin=%qc_plugin \
// RUN:   --load-pass-plugin=%qc_plugin \
// RUN:   --pass-pipeline="builtin.module(convert-qc-to-linalg)" | FileCheck %s
//
// Without the dialect plugin, stock mlir-opt cannot parse qc IR:
// RUN: not %mlir_opt %s 2>&1 | FileCheck %s --check-prefix=NOPLUGIN
// NOPLUGIN: error: {{.*}}"qc"{{.*}} type created with unregistered dialect
//
// The pipelines are registered too (print them without running):
// RUN: %mlir_opt %s --load-dialect-plugin=%qc_plugin \
// RUN:   --load-pass-plugin=%qc_plugin \
// RUN:   --pass-pipeline="builtin.module(qc-cpu-pipeline)" --dump-pass-pipeline \
// RUN:   -o /dev/null 2>&1 | FileCheck %s --check-prefix=PIPELINE
// PIPELINE: convert-qc-to-linalg
// PIPELINE: one-shot-bufferize

!q = !qc.uniform<i8:f32, 0.5:-3>

// CHECK-LABEL: func.func @quantize
// CHECK-SAME: -> tensor<4xi8>
// CHECK-NOT: qc.
// CHECK: math.roundeven
// CHECK: arith.fptosi
func.func @quantize(%x: tensor<4xf32>) -> tensor<4x!q> {
  %q = qc.quantize %x : tensor<4xf32> -> tensor<4x!q>
  return %q : tensor<4x!q>
}
