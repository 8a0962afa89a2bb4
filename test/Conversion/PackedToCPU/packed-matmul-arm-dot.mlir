// RUN: qc-opt %s --convert-qc-packed-to-cpu="arm-dot=i8mm mr=4 nb=1 parallel=false" --canonicalize | FileCheck %s --check-prefix=I8MM
// RUN: qc-opt %s --convert-qc-packed-to-cpu="arm-dot=dotprod mr=4 nb=1 parallel=false" --canonicalize | FileCheck %s --check-prefix=DOT
// RUN: not qc-opt %s --convert-qc-packed-to-cpu="arm-dot=sve" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not qc-opt %s --convert-qc-packed-to-cpu="arm-dot=i8mm vnni=true" 2>&1 | FileCheck %s --check-prefix=BOTH

// qc.packed_matmul (u8 x s8 -> i32) on AArch64: each 16-lane dot product
// of vpdpbusd becomes four 128-bit ones. 4 rows, one tile of 16 columns,
// K1 = 2 steps of 4 bytes.
//
// i8mm: usdot multiplies u8 by s8, the op's products: per row and k-step,
// four usdot on the quarters of the accumulator, the broadcast lhs bytes
// and the packed weights.
// I8MM-LABEL: func.func @int8
// I8MM: scf.for {{.*}} -> (vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>)
// I8MM: %[[B:.*]] = vector.load %{{.*}} : memref<1x2x64xi8>, vector<64xi8>
// I8MM: %[[B0:.*]] = vector.extract_strided_slice %[[B]] {offsets = [0], sizes = [16], strides = [1]} : vector<64xi8> to vector<16xi8>
// I8MM: %[[D0:.*]] = llvm.call_intrinsic "llvm.aarch64.neon.usdot.v4i32.v16i8"(%{{.*}}, %{{.*}}, %[[B0]]) : (vector<4xi32>, vector<16xi8>, vector<16xi8>) -> vector<4xi32>
// I8MM: vector.insert_strided_slice %[[D0]], %{{.*}} {offsets = [0], strides = [1]} : vector<4xi32> into vector<16xi32>
// I8MM-COUNT-15: llvm.call_intrinsic "llvm.aarch64.neon.usdot.v4i32.v16i8"
// I8MM-NOT: llvm.call_intrinsic
// I8MM: scf.yield
// I8MM-NOT: arith.shli
// I8MM-COUNT-4: vector.store
//
// dotprod: sdot multiplies s8 by s8, so the lhs bytes are flipped to
// a - 128 (xor 0x80) and a fifth accumulator gathers the weight sums of
// each lane (sdot with ones), added times 128 (shift by 7) to every row.
// DOT-LABEL: func.func @int8
// DOT-DAG: %[[ONES:.*]] = arith.constant dense<1> : vector<16xi8>
// DOT-DAG: %[[SEVEN:.*]] = arith.constant dense<7> : vector<16xi32>
// DOT-DAG: %[[FLIP:.*]] = arith.constant dense<-128> : vector<64xi8>
// DOT: %[[L:.*]]:5 = scf.for {{.*}} -> (vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>)
// DOT: %[[A:.*]] = vector.bitcast %{{.*}} : vector<16xi32> to vector<64xi8>
// DOT: %[[AS:.*]] = arith.xori %[[A]], %[[FLIP]] : vector<64xi8>
// DOT: %[[A0:.*]] = vector.extract_strided_slice %[[AS]] {offsets = [0], sizes = [16], strides = [1]}
// DOT: llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"(%{{.*}}, %[[A0]], %{{.*}})
// DOT-COUNT-15: llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"(%{{.*}}, %{{[0-9]+}}, %{{.*}})
// DOT-COUNT-4: llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"(%{{.*}}, %[[ONES]], %{{.*}})
// DOT: scf.yield
// DOT: %[[SUMS:.*]] = arith.shli %[[L]]#4, %[[SEVEN]] : vector<16xi32>
// DOT: %[[R0:.*]] = arith.addi %[[L]]#0, %[[SUMS]] : vector<16xi32>
// DOT: vector.store %[[R0]]
// DOT-COUNT-3: vector.store
//
// BAD: arm-dot must be none, dotprod or i8mm, got 'sve'
// BOTH: vnni and arm-dot exclude each other
func.func @int8(%a: memref<4x8xi8>, %w: memref<1x2x16x4xi8>, %acc: memref<4x16xi32>) {
  qc.packed_matmul ins(%a, %w : memref<4x8xi8>, memref<1x2x16x4xi8>) outs(%acc : memref<4x16xi32>)
  return
}
