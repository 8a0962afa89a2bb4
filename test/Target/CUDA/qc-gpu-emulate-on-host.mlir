// RUN: qc-opt %s --split-input-file --verify-diagnostics --qc-gpu-emulate-on-host | FileCheck %s

// A kernel without cooperation becomes loops over blocks and threads (z, y,
// x order), device memory becomes host memory.
// CHECK-LABEL: func.func @kernel
// CHECK-NOT: gpu.
// CHECK: %[[D:.*]] = memref.alloc() {alignment = 64 : i64} : memref<8xf32>
// CHECK: memref.copy %{{.*}}, %[[D]]
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for %[[BX:.*]] = %{{.*}} to %[[C2:.*]] step
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for %[[TX:.*]] = %{{.*}} to %[[C4:.*]] step
// CHECK: %[[M:.*]] = arith.muli %[[BX]], %{{.*}}
// CHECK: %[[P:.*]] = arith.addi %[[M]], %[[TX]]
// CHECK: memref.load %[[D]][%[[P]]]
// CHECK: memref.store
// CHECK: memref.dealloc %[[D]]
func.func @kernel(%x: memref<8xf32>, %y: memref<8xf32>) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %d = gpu.alloc () : memref<8xf32>
  gpu.memcpy %d, %x : memref<8xf32>, memref<8xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c2, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c4, %sy = %c1, %sz = %c1) {
    %m = arith.muli %bx, %sx : index
    %p = arith.addi %m, %tx : index
    %v = memref.load %d[%p] : memref<8xf32>
    %s = arith.mulf %v, %v : f32
    memref.store %s, %y[%p] : memref<8xf32>
    gpu.terminator
  }
  gpu.dealloc %d : memref<8xf32>
  return
}

// -----

// Kernels whose threads cooperate cannot be emulated this way.
func.func @barrier(%y: memref<4xf32>) {
  %c1 = arith.constant 1 : index
  // expected-error @+1 {{cannot run on the host: its threads cooperate}}
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    gpu.barrier
    gpu.terminator
  }
  return
}
