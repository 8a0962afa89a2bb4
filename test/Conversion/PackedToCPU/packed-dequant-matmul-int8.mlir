// RUN: qc-opt %s -split-input-file --convert-qc-packed-to-cpu="vnni=true" --canonicalize | FileCheck %s
// RUN: qc-opt %s -split-input-file --convert-qc-packed-to-cpu="vnni=false" -verify-diagnostics

// qc.packed_dequant_matmul with int8_compute (WeightOnlyKernels.cpp), int4:
// 3 rows, 3 tiles, K = 20 in 3 packed rows of 8 (the last partial), 2
// groups of 16. The prepass copies x into a zero-padded [3, 24] buffer,
// then per row and group takes max |x|, the scale max / 127 (a zero scale
// divides by 1), and the codes roundeven(x / scale) clamped to +-127, the
// even inputs of each packed row first (matching the low nibbles), four
// to an i32 word, with their sum. The main loop splits each word into low
// and high nibbles (0x0F0F0F0F = 252645135) and multiplies them with the
// two broadcast activation words in vpdpbusd (u8 weights first, s8
// activations second); per group out = fma(f32(acc - zp * sum), scale *
// xs, out).
// CHECK-LABEL: func.func @int4
// CHECK-DAG: %[[NIB:.*]] = arith.constant dense<252645135> : vector<16xi32>
// CHECK-DAG: %[[FOUR:.*]] = arith.constant dense<4> : vector<16xi32>
// CHECK-DAG: %[[HI:.*]] = arith.constant dense<1.270000e+02> : vector<8xf32>
// CHECK-DAG: %[[LO:.*]] = arith.constant dense<-1.270000e+02> : vector<8xf32>
// CHECK-DAG: %[[C127:.*]] = arith.constant 1.270000e+02 : f32
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: %[[XQ:.*]] = memref.alloc() {alignment = 64 : i64} : memref<3x6xi32>
// CHECK: %[[XS:.*]] = memref.alloc() {alignment = 64 : i64} : memref<3x2xf32>
// CHECK: %[[XSUM:.*]] = memref.alloc() {alignment = 64 : i64} : memref<3x2xi32>
// CHECK: %[[PAD:.*]] = memref.alloc() {alignment = 64 : i64} : memref<3x24xf32>
// CHECK: math.absf
// CHECK: arith.maximumf
// CHECK: %[[MAX:.*]] = vector.reduction <maximumf>
// CHECK: %[[SCALE:.*]] = arith.divf %[[MAX]], %[[C127]] : f32
// CHECK: memref.store %[[SCALE]], %[[XS]]
// CHECK: %[[ZERO:.*]] = arith.cmpf oeq, %[[SCALE]]
// CHECK: %[[DIV:.*]] = arith.select %[[ZERO]], %[[ONE]], %[[SCALE]] : f32
// CHECK: %[[DIVB:.*]] = vector.broadcast %[[DIV]] : f32 to vector<8xf32>
// CHECK: %[[Q:.*]] = arith.divf %{{.*}}, %[[DIVB]] : vector<8xf32>
// CHECK: %[[R:.*]] = math.roundeven %[[Q]] : vector<8xf32>
// CHECK: %[[C1:.*]] = arith.maximumf %[[R]], %[[LO]] : vector<8xf32>
// CHECK: %[[C2:.*]] = arith.minimumf %[[C1]], %[[HI]] : vector<8xf32>
// CHECK: %[[QI:.*]] = arith.fptosi %[[C2]] : vector<8xf32> to vector<8xi32>
// CHECK: %[[QB:.*]] = arith.trunci %[[QI]] : vector<8xi32> to vector<8xi8>
// CHECK: %[[SH:.*]] = vector.shuffle %[[QB]], %[[QB]] [0, 2, 4, 6, 1, 3, 5, 7]
// CHECK: %[[QW:.*]] = vector.bitcast %[[SH]] : vector<8xi8> to vector<2xi32>
// CHECK: vector.store %[[QW]], %[[XQ]]
// CHECK: vector.reduction <add>, %{{.*}} : vector<8xi32> into i32
// CHECK: memref.store %{{.*}}, %[[XSUM]]
// CHECK: memref.dealloc %[[PAD]]
// CHECK: scf.for {{.*}} -> (vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>)
// CHECK: %[[W:.*]] = vector.load %arg1[%c0, %{{.*}}, %c0, %c0] : memref<3x3x1x16xi32>, vector<16xi32>
// CHECK: memref.prefetch %arg1
// CHECK: %[[WLO:.*]] = arith.andi %[[W]], %[[NIB]] : vector<16xi32>
// CHECK: %[[WSH:.*]] = arith.shrui %[[W]], %[[FOUR]] : vector<16xi32>
// CHECK: %[[WHI:.*]] = arith.andi %[[WSH]], %[[NIB]] : vector<16xi32>
// CHECK: %[[BLO:.*]] = vector.bitcast %[[WLO]] : vector<16xi32> to vector<64xi8>
// CHECK: %[[BHI:.*]] = vector.bitcast %[[WHI]] : vector<16xi32> to vector<64xi8>
// CHECK: %[[X0:.*]] = memref.load %[[XQ]]
// CHECK: %[[X0B:.*]] = vector.broadcast %[[X0]] : i32 to vector<16xi32>
// CHECK: %[[X0V:.*]] = vector.bitcast %[[X0B]] : vector<16xi32> to vector<64xi8>
// CHECK: %[[A0:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %[[BLO]], %[[X0V]])
// CHECK: %[[X1:.*]] = memref.load %[[XQ]]
// CHECK: %[[X1B:.*]] = vector.broadcast %[[X1]] : i32 to vector<16xi32>
// CHECK: %[[X1V:.*]] = vector.bitcast %[[X1B]] : vector<16xi32> to vector<64xi8>
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[A0]], %[[BHI]], %[[X1V]])
// CHECK: scf.yield
// CHECK: %[[S:.*]] = vector.load %arg2[%c0, %{{.*}}, %c0] : memref<3x2x1x16xf32>, vector<16xf32>
// CHECK: %[[ZF:.*]] = vector.load %arg3[%c0, %{{.*}}, %c0] : memref<3x2x1x16xf32>, vector<16xf32>
// CHECK: %[[Z:.*]] = arith.fptosi %[[ZF]] : vector<16xf32> to vector<16xi32>
// CHECK: %[[SUM:.*]] = memref.load %[[XSUM]]
// CHECK: %[[SUMB:.*]] = vector.broadcast %[[SUM]] : i32 to vector<16xi32>
// CHECK: %[[XSC:.*]] = memref.load %[[XS]]
// CHECK: %[[XSCB:.*]] = vector.broadcast %[[XSC]] : f32 to vector<16xf32>
// CHECK: %[[ZS:.*]] = arith.muli %[[Z]], %[[SUMB]] : vector<16xi32>
// CHECK: %[[D:.*]] = arith.subi %{{.*}}, %[[ZS]] : vector<16xi32>
// CHECK: %[[DF:.*]] = arith.sitofp %[[D]] : vector<16xi32> to vector<16xf32>
// CHECK: %[[F:.*]] = arith.mulf %[[S]], %[[XSCB]] : vector<16xf32>
// CHECK: %[[OUT:.*]] = vector.load %arg4[%c0, %c0] : memref<3x48xf32>, vector<16xf32>
// CHECK: %[[NEW:.*]] = vector.fma %[[DF]], %[[F]], %[[OUT]] : vector<16xf32>
// CHECK: vector.store %[[NEW]], %arg4[%c0, %c0]
// No MXCSR change and no float products of codes in the integer kernel.
// CHECK-NOT: ldmxcsr
// CHECK: memref.dealloc %[[XS]]
// CHECK: memref.dealloc %[[XSUM]]
// CHECK: memref.dealloc %[[XQ]]
func.func @int4(%x: memref<3x20xf32>, %w: memref<3x3x1x16xi32>, %s: memref<3x2x1x16xf32>, %z: memref<3x2x1x16xf32>, %y: memref<3x48xf32>) {
  // expected-error @+1 {{int8_compute needs a target with integer dot products (AVX-512 VNNI vpdpbusd, AArch64 usdot or sdot); compile with --weight-only-compute=exact for this target}}
  qc.packed_dequant_matmul ins(%x, %w, %s, %z : memref<3x20xf32>, memref<3x3x1x16xi32>, memref<3x2x1x16xf32>, memref<3x2x1x16xf32>) outs(%y : memref<3x48xf32>) {bits = 4 : i64, group_size = 16 : i64, int8_compute}
  return
}

// -----

// int8, one row, one group of K = 40: the word of 4 codes is vpdpbusd's
// operand as it is, with one activation word (the codes in input order,
// no shuffle) per packed row.
// CHECK-LABEL: func.func @int8
// CHECK-NOT: vector.shuffle
// CHECK: %[[QB:.*]] = arith.trunci %{{.*}} : vector<4xi32> to vector<4xi8>
// CHECK: vector.bitcast %[[QB]] : vector<4xi8> to vector<1xi32>
// CHECK: %[[W:.*]] = vector.load %arg1[%c0, %{{.*}}, %c0] : memref<1x10x1x16xi32>, vector<16xi32>
// CHECK: %[[WB:.*]] = vector.bitcast %[[W]] : vector<16xi32> to vector<64xi8>
// CHECK-NOT: arith.andi
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %[[WB]], %{{.*}}) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// CHECK-NOT: llvm.call_intrinsic
// CHECK: scf.yield
func.func @int8(%x: memref<1x40xf32>, %w: memref<1x10x1x16xi32>, %s: memref<1x1x1x16xf32>, %z: memref<1x1x1x16xf32>, %y: memref<1x16xf32>) {
  // expected-error @+1 {{int8_compute needs a target with integer dot products}}
  qc.packed_dequant_matmul ins(%x, %w, %s, %z : memref<1x40xf32>, memref<1x10x1x16xi32>, memref<1x1x1x16xf32>, memref<1x1x1x16xf32>) outs(%y : memref<1x16xf32>) {bits = 8 : i64, group_size = 40 : i64, int8_compute}
  return
}
