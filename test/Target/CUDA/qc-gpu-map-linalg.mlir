// RUN: qc-opt %s --split-input-file --verify-diagnostics --qc-gpu-map-linalg="block-size=64" | FileCheck %s

// Elementwise: one thread per element (3 x 50 = 150 points, 3 blocks of 64
// threads, the last one masked); the index is split with the last
// dimension fastest.
// CHECK-LABEL: func.func @elementwise
// CHECK-DAG: %[[C3:.*]] = arith.constant 3 : index
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK: gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C3]], %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C64]],
// CHECK: %[[MUL:.*]] = arith.muli %[[BX]], %[[C64]]
// CHECK: %[[P:.*]] = arith.addi %[[MUL]], %[[TX]]
// CHECK: %[[IN:.*]] = arith.cmpi ult, %[[P]], %{{.*}}
// CHECK: scf.if %[[IN]]
// CHECK: %[[J:.*]] = arith.remui %[[P]], %{{.*}}
// CHECK: %[[R:.*]] = arith.divui %[[P]], %{{.*}}
// CHECK: %[[I:.*]] = arith.remui %[[R]], %{{.*}}
// CHECK: %[[X:.*]] = memref.load %{{.*}}[%[[I]], %[[J]]] : memref<3x50xf32>
// CHECK: %[[B:.*]] = memref.load %{{.*}}[%[[J]]] : memref<50xf32>
// CHECK: %[[S:.*]] = arith.addf %[[X]], %[[B]]
// CHECK: %[[R:.*]] = arith.maximumf %[[S]]
// CHECK: memref.store %[[R]], %{{.*}}[%[[I]], %[[J]]] : memref<3x50xf32>
// CHECK: gpu.terminator
// CHECK-NOT: linalg.
func.func @elementwise(%x: memref<3x50xf32>, %b: memref<50xf32>, %y: memref<3x50xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%x, %b : memref<3x50xf32>, memref<50xf32>) outs(%y : memref<3x50xf32>) {
  ^bb0(%v: f32, %bias: f32, %o: f32):
    %s = arith.addf %v, %bias : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A reduction: each of the 4 x 8 = 32 threads (one block, no mask) loads
// its output, runs the reduction loop sequentially and stores the result.
// CHECK-LABEL: func.func @matmul
// CHECK: gpu.launch
// CHECK-NOT: scf.if
// CHECK: %[[INIT:.*]] = memref.load %{{.*}} : memref<4x8xf32>
// CHECK: %[[SUM:.*]] = scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[INIT]]) -> (f32)
// CHECK: memref.load %{{.*}}[%{{.*}}, %[[K]]] : memref<4x16xf32>
// CHECK: memref.load %{{.*}}[%[[K]], %{{.*}}] : memref<16x8xf32>
// CHECK: arith.mulf
// CHECK: arith.addf %[[ACC]]
// CHECK: scf.yield
// CHECK: memref.store %[[SUM]], %{{.*}} : memref<4x8xf32>
func.func @matmul(%a: memref<4x16xf32>, %b: memref<16x8xf32>, %c: memref<4x8xf32>) {
  linalg.matmul ins(%a, %b : memref<4x16xf32>, memref<16x8xf32>) outs(%c : memref<4x8xf32>)
  return
}

// -----

// A dynamic shape is an error at the op.
func.func @dynamic(%x: memref<?xf32>, %y: memref<?xf32>) {
  // expected-error @+1 {{dynamic loop bounds are not supported on the GPU}}
  linalg.copy ins(%x : memref<?xf32>) outs(%y : memref<?xf32>)
  return
}
