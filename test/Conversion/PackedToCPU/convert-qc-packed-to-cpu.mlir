// RUN: qc-opt %s -split-input-file --convert-qc-packed-to-cpu="vnni=true" | FileCheck %s
// RUN: qc-opt %s -split-input-file --convert-qc-packed-to-cpu="vnni=false parallel=false" | FileCheck %s --check-prefix=SCALAR
// RUN: qc-opt %s -split-input-file --convert-qc-packed-to-cpu="vnni=true mr=2 nb=1" | FileCheck %s --check-prefix=SMALL

// 10 rows, 3 tiles of 16 columns, K1 = 8 steps of 4 bytes. Default blocks:
// column blocks of 2 tiles (one full block plus a 1-tile tail), row groups
// of 8 plus single rows; every step multiplies a broadcast 4-byte group of
// the lhs with 64 packed weight bytes through vpdpbusd.
// CHECK-LABEL: func.func @int8
// CHECK: %[[RHS:.*]] = memref.collapse_shape %arg1 {{\[\[}}0], [1], [2, 3]] : memref<3x8x16x4xi8> into memref<3x8x64xi8>
// CHECK: scf.parallel
// CHECK: scf.for
// CHECK: scf.for {{.*}} iter_args
// CHECK: vector.load %[[RHS]]{{.*}} : memref<3x8x64xi8>, vector<64xi8>
// CHECK: vector.load %arg0{{.*}} : memref<10x32xi8>, vector<4xi8>
// CHECK: vector.bitcast %{{.*}} : vector<4xi8> to vector<1xi32>
// CHECK: vector.broadcast %{{.*}} : i32 to vector<16xi32>
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK-COUNT-15: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK: scf.yield
// CHECK: vector.store %{{.*}}, %arg2{{.*}} : memref<10x48xi32>, vector<16xi32>
// Without VNNI: plain loops with the op's exact extension semantics.
// SCALAR-LABEL: func.func @int8
// SCALAR-NOT: scf.parallel
// SCALAR: arith.extui %{{.*}} : i8 to i32
// SCALAR: arith.extsi %{{.*}} : i8 to i32
// SCALAR-NOT: llvm.call_intrinsic
// SMALL-LABEL: func.func @int8
// SMALL-COUNT-2: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// SMALL-NOT: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// SMALL: scf.yield
func.func @int8(%a: memref<10x32xi8>, %w: memref<3x8x16x4xi8>, %acc: memref<10x48xi32>) {
  qc.packed_matmul ins(%a, %w : memref<10x32xi8>, memref<3x8x16x4xi8>) outs(%acc : memref<10x48xi32>)
  return
}

// -----

// Float: one f32 broadcast per row and k, fused multiply-adds.
// CHECK-LABEL: func.func @f32
// CHECK: memref.load %arg0
// CHECK: vector.broadcast %{{.*}} : f32 to vector<16xf32>
// CHECK: vector.fma
func.func @f32(%a: memref<3x5xf32>, %w: memref<1x5x16x1xf32>, %acc: memref<3x16xf32>) {
  qc.packed_matmul ins(%a, %w : memref<3x5xf32>, memref<1x5x16x1xf32>) outs(%acc : memref<3x16xf32>)
  return
}

// -----

// A zero fill of the accumulator right before the kernel is dropped: the
// first k-step starts from zero vectors, later ones (when K1 exceeds kc)
// load the partial sums. A fill of another value, or one with a write to
// the buffer in between, stays.
// CHECK-LABEL: func.func @zero_fill
// CHECK-NOT: linalg.fill
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %{{.*}}, %c0
// CHECK: scf.if %[[FIRST]] -> (vector<16xi32>
// CHECK:   arith.constant dense<0> : vector<16xi32>
// CHECK: } else {
// CHECK:   vector.load %arg2
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK-LABEL: func.func @kept_fills
// CHECK: linalg.fill ins(%{{.*}} : i32) outs(%arg2
// CHECK: linalg.fill ins(%{{.*}} : i32) outs(%arg3
// CHECK: memref.store %{{.*}}, %arg3
// CHECK-NOT: scf.if
// SCALAR-LABEL: func.func @zero_fill
// SCALAR: linalg.fill
func.func @zero_fill(%a: memref<10x32xi8>, %w: memref<3x8x16x4xi8>, %acc: memref<10x48xi32>) {
  %c0 = arith.constant 0 : i32
  linalg.fill ins(%c0 : i32) outs(%acc : memref<10x48xi32>)
  qc.packed_matmul ins(%a, %w : memref<10x32xi8>, memref<3x8x16x4xi8>) outs(%acc : memref<10x48xi32>)
  return
}
func.func @kept_fills(%a: memref<10x32xi8>, %w: memref<3x8x16x4xi8>, %acc: memref<10x48xi32>, %acc2: memref<10x48xi32>) {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %i = arith.constant 0 : index
  linalg.fill ins(%c1 : i32) outs(%acc : memref<10x48xi32>)
  qc.packed_matmul ins(%a, %w : memref<10x32xi8>, memref<3x8x16x4xi8>) outs(%acc : memref<10x48xi32>)
  linalg.fill ins(%c0 : i32) outs(%acc2 : memref<10x48xi32>)
  memref.store %c1, %acc2[%i, %i] : memref<10x48xi32>
  qc.packed_matmul ins(%a, %w : memref<10x32xi8>, memref<3x8x16x4xi8>) outs(%acc2 : memref<10x48xi32>)
  return
}
