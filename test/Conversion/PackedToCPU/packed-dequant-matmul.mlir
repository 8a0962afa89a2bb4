// RUN: qc-opt %s -split-input-file --convert-qc-packed-to-cpu --canonicalize | FileCheck %s
// RUN: qc-opt %s -split-input-file --convert-qc-packed-to-cpu="parallel=false" --canonicalize | FileCheck %s --check-prefix=SEQ
// RUN: qc-opt %s -split-input-file --convert-qc-packed-to-cpu="vnni=true" --canonicalize | FileCheck %s --check-prefix=X86

// qc.packed_dequant_matmul's vector kernel (WeightOnlyKernels.cpp): 3 rows,
// 3 tiles of 16 columns, K = 20 int4 codes in 3 packed rows of 8 (the last
// partial), 2 groups of 16. The prepass writes the inputs scaled by
// 2^(80 - position of their code) into a zero-padded [3, 24] copy and the
// group sums of x. Codes 0-4 are masked in place (15 << 4t), codes 5-7
// after one shift right by 12 (positions 8, 12, 16); each is converted and
// multiplied with the broadcast scaled input, 3 rows x 3 tiles of
// accumulators, prefetching 32 rows ahead; per group
// out += scale * (acc * 2^-80 - zp * xsum).
// CHECK-LABEL: func.func @int4
// CHECK-DAG: %[[UNSCALE:.*]] = arith.constant dense<8.27180613E-25> : vector<16xf32>
// CHECK-DAG: %[[SHIFT:.*]] = arith.constant dense<12> : vector<16xi32>
// CHECK-DAG: %[[M0:.*]] = arith.constant dense<15> : vector<16xi32>
// CHECK-DAG: %[[M1:.*]] = arith.constant dense<240> : vector<16xi32>
// CHECK-DAG: %[[M4:.*]] = arith.constant dense<983040> : vector<16xi32>
// CHECK-DAG: arith.constant dense<[1.20892582E+24, 7.55578637E+22, 4.72236648E+21, 2.95147905E+20, 1.84467441E+19, 4.72236648E+21, 2.95147905E+20, 1.84467441E+19]> : vector<8xf32>
// CHECK: %[[XS:.*]] = memref.alloc() {alignment = 64 : i64} : memref<3x24xf32>
// CHECK: %[[XSUM:.*]] = memref.alloc() {alignment = 64 : i64} : memref<3x2xf32>
// CHECK: vector.reduction <add>
// CHECK: memref.store %cst{{.*}}, %[[XS]][%{{.*}}, %c23] : memref<3x24xf32>
// CHECK-NOT: llvm.
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: %[[W0:.*]] = vector.load %arg1[%c0, %{{.*}}, %c0] : memref<3x3x1x16xi32>, vector<16xi32>
// CHECK: memref.prefetch %arg1[%c0, %{{.*}}, %c0], read, locality<3>, data
// CHECK: %[[X0:.*]] = memref.load %[[XS]]
// CHECK: %[[B0:.*]] = vector.broadcast %[[X0]] : f32 to vector<16xf32>
// CHECK: %[[C0:.*]] = arith.andi %[[W0]], %[[M0]] : vector<16xi32>
// CHECK: %[[F0:.*]] = arith.sitofp %[[C0]] : vector<16xi32> to vector<16xf32>
// CHECK: vector.fma %[[B0]], %[[F0]], %{{.*}} : vector<16xf32>
// CHECK: arith.andi %[[W0]], %[[M1]] : vector<16xi32>
// CHECK: %[[HI:.*]] = arith.shrui %[[W0]], %[[SHIFT]] : vector<16xi32>
// CHECK: arith.andi %[[HI]], %[[M4]] : vector<16xi32>
// CHECK: scf.yield
// CHECK: %[[S:.*]] = vector.load %arg2[%c0, %{{.*}}, %c0] : memref<3x2x1x16xf32>, vector<16xf32>
// CHECK: %[[Z:.*]] = vector.load %arg3[%c0, %{{.*}}, %c0] : memref<3x2x1x16xf32>, vector<16xf32>
// CHECK: %[[SUM:.*]] = memref.load %[[XSUM]]
// CHECK: %[[SUMB:.*]] = vector.broadcast %[[SUM]]
// CHECK: %[[ACC:.*]] = arith.mulf %{{.*}}, %[[UNSCALE]] : vector<16xf32>
// CHECK: %[[ZX:.*]] = arith.mulf %[[Z]], %[[SUMB]] : vector<16xf32>
// CHECK: %[[CEN:.*]] = arith.subf %[[ACC]], %[[ZX]] : vector<16xf32>
// CHECK: %[[OUT:.*]] = vector.load %arg4[%c0, %c0] : memref<3x48xf32>, vector<16xf32>
// CHECK: %[[NEW:.*]] = vector.fma %[[CEN]], %[[S]], %[[OUT]] : vector<16xf32>
// CHECK: vector.store %[[NEW]], %arg4[%c0, %c0] : memref<3x48xf32>, vector<16xf32>
// CHECK: memref.dealloc %[[XS]]
// CHECK: memref.dealloc %[[XSUM]]
// On x86 (vnni=true), with MXCSR.DAZ cleared for the call: the masked codes
// are read as denormal floats (no conversion) and the sums scaled by
// 2^(149 - 80).
// X86-LABEL: func.func @int4
// X86-DAG: arith.constant dense<5.9029581E+20> : vector<16xf32>
// X86-DAG: %[[NODAZ:.*]] = arith.constant -65 : i32
// X86: %[[SAVED:.*]] = llvm.alloca
// X86: %[[CLEARED:.*]] = llvm.alloca
// X86: llvm.call_intrinsic "llvm.x86.sse.stmxcsr"(%[[SAVED]])
// X86: %[[V:.*]] = llvm.load %[[SAVED]]
// X86: %[[C:.*]] = arith.andi %[[V]], %[[NODAZ]] : i32
// X86: llvm.store %[[C]], %[[CLEARED]]
// X86: llvm.call_intrinsic "llvm.x86.sse.ldmxcsr"(%[[CLEARED]])
// X86-NOT: arith.sitofp
// X86: arith.bitcast %{{.*}} : vector<16xi32> to vector<16xf32>
// X86-NOT: arith.sitofp
// X86: llvm.call_intrinsic "llvm.x86.sse.ldmxcsr"(%[[SAVED]])
// X86: memref.dealloc
func.func @int4(%x: memref<3x20xf32>, %w: memref<3x3x1x16xi32>, %s: memref<3x2x1x16xf32>, %z: memref<3x2x1x16xf32>, %y: memref<3x48xf32>) {
  qc.packed_dequant_matmul ins(%x, %w, %s, %z : memref<3x20xf32>, memref<3x3x1x16xi32>, memref<3x2x1x16xf32>, memref<3x2x1x16xf32>) outs(%y : memref<3x48xf32>) {bits = 4 : i64, group_size = 16 : i64}
  return
}

// -----

// int8 (4 codes per word: codes 0-1 masked in place with 255 << 8t,
// codes 2-3 after a shift right by 16), one row: blocks of 8 tiles of 16
// columns (10 tiles: one block of 8, then a tail block of 2), 2 groups of
// 64. The rows of pairs of tiles are interleaved (T = 2): tile j of the
// first block is rhs[j / 2, w, j % 2], the tail's tiles 8 and 9 are
// rhs[4, w, 0] and rhs[4, w, 1]; scales and zero points likewise.
// CHECK-LABEL: func.func @int8
// CHECK-DAG: arith.constant dense<16> : vector<16xi32>
// CHECK-DAG: arith.constant dense<65280> : vector<16xi32>
// CHECK-DAG: arith.constant dense<255> : vector<16xi32>
// CHECK-DAG: arith.constant dense<[1.20892582E+24, 4.72236648E+21, 1.20892582E+24, 4.72236648E+21]> : vector<4xf32>
// CHECK-NOT: scf.parallel
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: vector.load %arg1[%c0, %[[W:.*]], %c0, %c0] : memref<5x32x2x16xi32>
// CHECK-NEXT: vector.load %arg1[%c0, %[[W]], %c1, %c0]
// CHECK-NEXT: vector.load %arg1[%c1, %[[W]], %c0, %c0]
// CHECK-NEXT: vector.load %arg1[%c1, %[[W]], %c1, %c0]
// CHECK-NEXT: vector.load %arg1[%c2, %[[W]], %c0, %c0]
// CHECK-NEXT: vector.load %arg1[%c2, %[[W]], %c1, %c0]
// CHECK-NEXT: vector.load %arg1[%c3, %[[W]], %c0, %c0]
// CHECK-NEXT: vector.load %arg1[%c3, %[[W]], %c1, %c0]
// CHECK: vector.load %arg2[%c3, %{{.*}}, %c1, %c0] : memref<5x2x2x16xf32>
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>)
// CHECK: vector.load %arg1[%c4, %[[W2:.*]], %c0, %c0]
// CHECK-NEXT: vector.load %arg1[%c4, %[[W2]], %c1, %c0]
// SEQ-LABEL: func.func @int8
// SEQ-NOT: scf.parallel
func.func @int8(%x: memref<1x128xf32>, %w: memref<5x32x2x16xi32>, %s: memref<5x2x2x16xf32>, %z: memref<5x2x2x16xf32>, %y: memref<1x160xf32>) {
  qc.packed_dequant_matmul ins(%x, %w, %s, %z : memref<1x128xf32>, memref<5x32x2x16xi32>, memref<5x2x2x16xf32>, memref<5x2x2x16xf32>) outs(%y : memref<1x160xf32>) {bits = 8 : i64, group_size = 64 : i64}
  return
}

// -----

// 20 tiles, one row: two parallel blocks of 8 tiles (scf.parallel unless
// parallel=false), then a block of 4.
// CHECK-LABEL: func.func @parallel
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c2) step (%c1)
// SEQ-LABEL: func.func @parallel
// SEQ-NOT: scf.parallel
func.func @parallel(%x: memref<1x64xf32>, %w: memref<20x8x1x16xi32>, %s: memref<20x1x1x16xf32>, %z: memref<20x1x1x16xf32>, %y: memref<1x320xf32>) {
  qc.packed_dequant_matmul ins(%x, %w, %s, %z : memref<1x64xf32>, memref<20x8x1x16xi32>, memref<20x1x1x16xf32>, memref<20x1x1x16xf32>) outs(%y : memref<1x320xf32>) {bits = 4 : i64, group_size = 64 : i64}
  return
}

// -----

// Groups of 4 int4 codes do not cover whole packed rows (8 codes): plain
// loops with the op's definition (code = (word >> 4 * (k % 8)) & 15).
// CHECK-LABEL: func.func @scalar
// CHECK-NOT: vector.fma
// CHECK: arith.shrui %{{.*}} : i32
// CHECK: arith.andi %{{.*}}, %c15_i32 : i32
// CHECK: arith.uitofp
// CHECK: arith.subf
// CHECK-NOT: vector.fma
// CHECK: return
func.func @scalar(%x: memref<2x16xf32>, %w: memref<1x2x1x16xi32>, %s: memref<1x4x1x16xf32>, %z: memref<1x4x1x16xf32>, %y: memref<2x16xf32>) {
  qc.packed_dequant_matmul ins(%x, %w, %s, %z : memref<2x16xf32>, memref<1x2x1x16xi32>, memref<1x4x1x16xf32>, memref<1x4x1x16xf32>) outs(%y : memref<2x16xf32>) {bits = 4 : i64, group_size = 4 : i64}
  return
}
