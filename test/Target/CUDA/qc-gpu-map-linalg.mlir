// RUN: qc-opt %s --split-input-file --verify-diagnostics --qc-gpu-map-linalg="block-size=64 split-outputs=1" | FileCheck %s
// RUN: qc-opt %s --split-input-file --verify-diagnostics --qc-gpu-map-linalg="block-size=64" | FileCheck %s --check-prefix=OUT2

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

// -----

// A GEMV (64 outputs, 512 terms each) has too few points for one thread
// each: blocks of 32 outputs (x) times 32 slices of the reduction (y); each
// thread sums every 32nd term from 0.0, 8 terms per iteration while all 8
// exist (r < 512 - 7 * 32), then one at a time from where that loop stopped;
// the partials meet in shared memory and the first slice adds them to the
// output in slice order.
// CHECK-LABEL: func.func @gemv
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[C32:.*]] = arith.constant 32 : index
// CHECK: gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C2]], %{{.*}} = %[[C1]], %{{.*}} = %[[C1]]) threads(%[[TX:.*]], %[[TY:.*]], %{{.*}}) in (%{{.*}} = %[[C32]], %{{.*}} = %[[C32]], %{{.*}} = %[[C1]])
// CHECK-SAME: workgroup(%[[SH:.*]] : memref<32x32xf32, #gpu.address_space<workgroup>>)
// CHECK: %[[K32:.*]] = arith.constant 32 : index
// CHECK: %[[MUL:.*]] = arith.muli %[[BX]], %[[K32]]
// CHECK: %[[N:.*]] = arith.addi %[[MUL]], %[[TX]]
// CHECK-NOT: scf.if
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[C512:.*]] = arith.constant 512 : index
// CHECK-DAG: %[[C288:.*]] = arith.constant 288 : index
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK: %[[MAIN:.*]] = scf.for %[[K:.*]] = %[[TY]] to %[[C288]] step %[[C256]] iter_args(%[[ACC:.*]] = %[[ZERO]]) -> (f32)
// CHECK: memref.load %{{.*}}[%[[K]]] : memref<512xf32>
// CHECK: memref.load %{{.*}}[%[[K]], %[[N]]] : memref<512x64xf32>
// CHECK: arith.mulf
// CHECK: %[[ACC1:.*]] = arith.addf %[[ACC]], %{{.*}} : f32
// CHECK: %[[K1:.*]] = arith.addi %[[K]], %{{.*}} : index
// CHECK: memref.load %{{.*}}[%[[K1]], %[[N]]] : memref<512x64xf32>
// CHECK: arith.mulf
// CHECK: arith.addf %[[ACC1]], %{{.*}} : f32
// CHECK-COUNT-6: arith.addf
// CHECK: scf.yield
// CHECK: %[[ROUND:.*]] = arith.constant 543 : index
// CHECK: %[[LEFT:.*]] = arith.subi %[[ROUND]], %[[TY]]
// CHECK: %[[ITER:.*]] = arith.divui %[[LEFT]], %[[G:.*]] : index
// CHECK: %[[DONE:.*]] = arith.muli %[[ITER]], %[[G]]
// CHECK: %[[TAIL:.*]] = arith.addi %[[TY]], %[[DONE]]
// CHECK: %[[PART:.*]] = scf.for %[[KT:.*]] = %[[TAIL]] to %[[C512]] step %[[K32]] iter_args(%[[ACCT:.*]] = %[[MAIN]]) -> (f32)
// CHECK: memref.load %{{.*}}[%[[KT]], %[[N]]] : memref<512x64xf32>
// CHECK: %[[NEXT:.*]] = arith.addf %[[ACCT]], %{{.*}} : f32
// CHECK: scf.yield %[[NEXT]]
// CHECK: memref.store %[[PART]], %[[SH]][%[[TY]], %[[TX]]]
// CHECK-NEXT: gpu.barrier
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[TY]], %{{.*}}
// CHECK: scf.if %[[FIRST]]
// CHECK: %[[INIT:.*]] = memref.load %{{.*}}[%[[N]]] : memref<64xf32>
// CHECK: %[[SUM:.*]] = scf.for %[[S:.*]] = %{{.*}} to %[[K32]] step %{{.*}} iter_args(%[[OUT:.*]] = %[[INIT]]) -> (f32)
// CHECK: %[[P:.*]] = memref.load %[[SH]][%[[S]], %[[TX]]]
// CHECK: %[[C:.*]] = arith.addf %[[OUT]], %[[P]] : f32
// CHECK: scf.yield %[[C]]
// CHECK: memref.store %[[SUM]], %{{.*}}[%[[N]]] : memref<64xf32>
// CHECK: gpu.terminator
// CHECK-NOT: linalg.
// With the default split-outputs=2 each thread computes two neighbouring
// outputs (64 = 32 lanes x 2 divides the outputs): one block, the partials
// in a 32 x 64 buffer, each term's x[k] shared by both.
// OUT2-LABEL: func.func @gemv
// OUT2-DAG: %[[C1:.*]] = arith.constant 1 : index
// OUT2-DAG: %[[C32:.*]] = arith.constant 32 : index
// OUT2-DAG: %[[B1:.*]] = arith.constant 1 : index
// OUT2: gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[B1]], %{{.*}} = %[[C1]], %{{.*}} = %[[C1]]) threads(%[[TX:.*]], %[[TY:.*]], %{{.*}}) in (%{{.*}} = %[[C32]], %{{.*}} = %[[C32]], %{{.*}} = %[[C1]])
// OUT2-SAME: workgroup(%[[SH:.*]] : memref<32x64xf32, #gpu.address_space<workgroup>>)
// OUT2: %[[COL:.*]] = arith.muli %[[TX]], %{{.*}} : index
// OUT2: scf.for %[[K:.*]] = %[[TY]] to
// OUT2: memref.load %{{.*}}[%[[K]]] : memref<512xf32>
// OUT2: memref.load %{{.*}}[%[[K]], %[[N0:.*]]] : memref<512x64xf32>
// OUT2: memref.load %{{.*}}[%[[K]]] : memref<512xf32>
// OUT2: memref.load %{{.*}}[%[[K]], %[[N1:.*]]] : memref<512x64xf32>
// OUT2: memref.store %{{.*}}, %[[SH]][%[[TY]], %[[COL]]]
// OUT2: %[[COL1:.*]] = arith.addi %[[COL]], %{{.*}} : index
// OUT2: memref.store %{{.*}}, %[[SH]][%[[TY]], %[[COL1]]]
// OUT2-NEXT: gpu.barrier
// OUT2: scf.if
// OUT2: memref.load %[[SH]][%{{.*}}, %[[COL]]]
// OUT2: memref.store %{{.*}} : memref<64xf32>
// OUT2: memref.load %[[SH]][%{{.*}}, %{{.*}}]
// OUT2: memref.store %{{.*}} : memref<64xf32>
// OUT2: gpu.terminator
func.func @gemv(%x: memref<512xf32>, %w: memref<512x64xf32>, %y: memref<64xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, k) -> (k)>, affine_map<(n, k) -> (k, n)>, affine_map<(n, k) -> (n)>], iterator_types = ["parallel", "reduction"]} ins(%x, %w : memref<512xf32>, memref<512x64xf32>) outs(%y : memref<64xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// 40 outputs (the second block's last 24 lanes idle, though they still
// reach the barrier), two reduction loops (16 x 32 = 512 terms, the linear
// term index split with the last loop fastest), and two outputs with their
// own combiners and neutral elements: an exact integer sum and a maximum.
// CHECK-LABEL: func.func @masked_two_outputs
// CHECK: gpu.launch
// CHECK-SAME: workgroup(%[[SI:.*]] : memref<32x32xi32, #gpu.address_space<workgroup>>, %[[SF:.*]] : memref<32x32xf32, #gpu.address_space<workgroup>>)
// CHECK: %[[IN:.*]] = arith.cmpi ult, %{{.*}}, %{{.*}}
// CHECK-DAG: %[[I0:.*]] = arith.constant 0 : i32
// CHECK-DAG: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[PART:.*]]:2 = scf.if %[[IN]] -> (i32, f32)
// CHECK: scf.for %[[R:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %[[I0]], %{{.*}} = %[[NINF]]) -> (i32, f32)
// CHECK: %[[J:.*]] = arith.remui %[[R]], %{{.*}}
// CHECK: %[[I:.*]] = arith.divui %[[R]], %{{.*}}
// CHECK: memref.load %{{.*}}[%{{.*}}, %[[I]], %[[J]]] : memref<40x16x32xi8>
// CHECK: arith.addi
// CHECK: arith.maximumf
// CHECK: } else {
// CHECK: scf.yield %[[I0]], %[[NINF]] : i32, f32
// CHECK: memref.store %[[PART]]#0, %[[SI]]
// CHECK: memref.store %[[PART]]#1, %[[SF]]
// CHECK-NEXT: gpu.barrier
// CHECK: %[[FIRST:.*]] = arith.andi %{{.*}}, %[[IN]]
// CHECK: scf.if %[[FIRST]]
// CHECK: arith.addi
// CHECK: arith.maximumf
func.func @masked_two_outputs(%x: memref<40x16x32xi8>, %f: memref<40x16x32xf32>, %sum: memref<40xi32>, %max: memref<40xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, i, j) -> (n, i, j)>, affine_map<(n, i, j) -> (n, i, j)>, affine_map<(n, i, j) -> (n)>, affine_map<(n, i, j) -> (n)>], iterator_types = ["parallel", "reduction", "reduction"]} ins(%x, %f : memref<40x16x32xi8>, memref<40x16x32xf32>) outs(%sum, %max : memref<40xi32>, memref<40xf32>) {
  ^bb0(%a: i8, %b: f32, %s: i32, %m: f32):
    %e = arith.extsi %a : i8 to i32
    %s2 = arith.addi %e, %s : i32
    %m2 = arith.maximumf %m, %b : f32
    linalg.yield %s2, %m2 : i32, f32
  }
  return
}

// -----

// Combiners that are not associative and commutative (a running
// difference) keep the sequential mapping: one thread per output.
// CHECK-LABEL: func.func @not_a_combiner
// CHECK-NOT: workgroup
// CHECK-NOT: gpu.barrier
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK: arith.subf
func.func @not_a_combiner(%x: memref<64x512xf32>, %y: memref<64xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, k) -> (n, k)>, affine_map<(n, k) -> (n)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<64x512xf32>) outs(%y : memref<64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %d = arith.subf %o, %a : f32
    linalg.yield %d : f32
  }
  return
}

// -----

// Nor is a chain of two ops on the accumulator (o * a + a).
// CHECK-LABEL: func.func @term_reads_accumulator
// CHECK-NOT: gpu.barrier
// CHECK: scf.for
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @term_reads_accumulator(%x: memref<64x512xf32>, %y: memref<64xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, k) -> (n, k)>, affine_map<(n, k) -> (n)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<64x512xf32>) outs(%y : memref<64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %o, %a : f32
    %s = arith.addf %m, %a : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Many outputs (65600 > split-max-points) keep one thread per output.
// CHECK-LABEL: func.func @many_outputs
// CHECK-NOT: gpu.barrier
// CHECK: scf.for
// CHECK: arith.addf
func.func @many_outputs(%x: memref<65600x256xf32>, %y: memref<65600xf32>) {
  linalg.reduce ins(%x : memref<65600x256xf32>) outs(%y : memref<65600xf32>) dimensions = [1]
  (%a: f32, %o: f32) {
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  }
  return
}
