// RUN: qc-opt %s -split-input-file --qc-approximate-math="functions=erf,tanh" | FileCheck %s

// Listed functions become inline arithmetic; unlisted ones stay.
// CHECK-LABEL: func.func @listed
// CHECK-NOT: math.erf
// CHECK-NOT: math.tanh
// CHECK: math.exp
// CHECK: return
func.func @listed(%x: f32) -> (f32, f32, f32) {
  %e = math.erf %x : f32
  %t = math.tanh %x : f32
  %x2 = math.exp %x : f32
  return %e, %t, %x2 : f32, f32, f32
}

// -----

// Vectors too.
// CHECK-LABEL: func.func @vector
// CHECK-NOT: math.erf
// CHECK: arith.select {{.*}} : vector<8xi1>, vector<8xf32>
func.func @vector(%x: vector<8xf32>) -> vector<8xf32> {
  %e = math.erf %x : vector<8xf32>
  return %e : vector<8xf32>
}

// -----

// f64 keeps its math op: the approximations are for f32.
// CHECK-LABEL: func.func @f64
// CHECK: math.erf {{.*}} : f64
func.func @f64(%x: f64) -> f64 {
  %e = math.erf %x : f64
  return %e : f64
}
