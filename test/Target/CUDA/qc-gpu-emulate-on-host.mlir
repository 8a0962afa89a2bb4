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

// A barrier at the top of the kernel splits it into phases, each run by all
// threads of the block in turn; shared memory becomes one host buffer, and
// values that live across the barrier (here %v, a load) are kept per thread
// in host memory, indexed by the thread (z, y, x). Indices and constants
// are rebuilt in each phase.
// CHECK-LABEL: func.func @barrier
// CHECK-NOT: gpu.
// CHECK: %[[SH:.*]] = memref.alloc() : memref<4xf32>
// CHECK: %[[KEPT:.*]] = memref.alloc(%{{.*}}, %{{.*}}, %{{.*}}) : memref<?x?x?xf32>
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for %[[TZ:.*]] = %{{.*}} to
// CHECK: scf.for %[[TY:.*]] = %{{.*}} to
// CHECK: scf.for %[[TX:.*]] = %{{.*}} to
// CHECK: %[[V:.*]] = memref.load %{{.*}}[%[[TX]]] : memref<4xf32>
// CHECK: memref.store %[[V]], %[[SH]][%[[TX]]]
// CHECK: memref.store %[[V]], %[[KEPT]][%[[TZ]], %[[TY]], %[[TX]]]
// CHECK: }
// CHECK: }
// CHECK: }
// CHECK: scf.for %[[TZ2:.*]] = %{{.*}} to
// CHECK: scf.for %[[TY2:.*]] = %{{.*}} to
// CHECK: scf.for %[[TX2:.*]] = %{{.*}} to
// CHECK-DAG: %[[C3:.*]] = arith.constant 3 : index
// CHECK-DAG: %[[V2:.*]] = memref.load %[[KEPT]][%[[TZ2]], %[[TY2]], %[[TX2]]]
// CHECK: %[[J:.*]] = arith.subi %[[C3]], %[[TX2]]
// CHECK: %[[W:.*]] = memref.load %[[SH]][%[[J]]]
// CHECK: arith.addf %[[V2]], %[[W]]
// CHECK: memref.dealloc %[[SH]]
// CHECK: memref.dealloc %[[KEPT]]
func.func @barrier(%x: memref<4xf32>, %y: memref<4xf32>) {
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c4, %sy = %c1, %sz = %c1) workgroup(%sh : memref<4xf32, #gpu.address_space<workgroup>>) {
    %c3 = arith.constant 3 : index
    %v = memref.load %x[%tx] : memref<4xf32>
    memref.store %v, %sh[%tx] : memref<4xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %j = arith.subi %c3, %tx : index
    %w = memref.load %sh[%j] : memref<4xf32, #gpu.address_space<workgroup>>
    %s = arith.addf %v, %w : f32
    memref.store %s, %y[%tx] : memref<4xf32>
    gpu.terminator
  }
  return
}

// -----

// A barrier that only some threads may reach cannot be emulated this way.
func.func @nested_barrier(%c: i1) {
  %c1 = arith.constant 1 : index
  // expected-error @+1 {{cannot run on the host: its threads cooperate}}
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    scf.if %c {
      gpu.barrier
    }
    gpu.terminator
  }
  return
}
