// Parsed, printed and lowered by the example's own tool, built against an
// installed qc (test/Install/install-test.sh runs lit here).
//
// RUN: standalone-opt %s | standalone-opt | FileCheck %s --check-prefix=ROUNDTRIP
// RUN: standalone-opt %s --convert-qc-to-linalg | FileCheck %s

!q = !qc.uniform<i8:f32, 0.5:-3>

// ROUNDTRIP-LABEL: func.func @quantize
// ROUNDTRIP: qc.quantize %{{.*}} : tensor<4xf32> -> tensor<4x!qc.uniform<i8:f32, 0.5:-3>>

// CHECK-LABEL: func.func @quantize
// CHECK-SAME: -> tensor<4xi8>
// CHECK-NOT: qc.
// CHECK: math.roundeven
func.func @quantize(%x: tensor<4xf32>) -> tensor<4x!q> {
  %q = qc.quantize %x : tensor<4xf32> -> tensor<4x!q>
  return %q : tensor<4x!q>
}
