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

// The K0 = 8 layout (convert-qc-to-linalg int-k-tile=8) with i8mm: usmmla
// multiplies a 2 x 8 block of two rows by two columns' 8 bytes (one
// quarter of the packed k-step) into a 2 x 2 block. 5 rows: a block of 4
// (two pairs) and a single row paired with zeros.
// I8MM-LABEL: func.func @int8_k8
// I8MM: %[[IN:.*]] = vector.load %{{.*}} : memref<5x16xi32>, vector<16xi32>
// I8MM: %[[IN1:.*]] = vector.load %{{.*}} : memref<5x16xi32>, vector<16xi32>
// I8MM: vector.shuffle %[[IN]], %[[IN1]] [0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31] : vector<16xi32>, vector<16xi32>
// I8MM: scf.for {{.*}} -> (vector<32xi32>, vector<32xi32>)
// I8MM: %[[B:.*]] = vector.load %{{.*}} : memref<1x2x128xi8>, vector<128xi8>
// I8MM: %[[R0:.*]] = vector.load %{{.*}} : memref<5x16xi8>, vector<8xi8>
// I8MM: %[[R1:.*]] = vector.load %{{.*}} : memref<5x16xi8>, vector<8xi8>
// I8MM: %[[A:.*]] = vector.shuffle %[[R0]], %[[R1]] [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15] : vector<8xi8>, vector<8xi8>
// I8MM: %[[B0:.*]] = vector.extract_strided_slice %[[B]] {offsets = [0], sizes = [16], strides = [1]} : vector<128xi8> to vector<16xi8>
// I8MM: llvm.call_intrinsic "llvm.aarch64.neon.usmmla.v4i32.v16i8"(%{{.*}}, %[[A]], %[[B0]]) : (vector<4xi32>, vector<16xi8>, vector<16xi8>) -> vector<4xi32>
// I8MM-COUNT-15: llvm.call_intrinsic "llvm.aarch64.neon.usmmla.v4i32.v16i8"
// I8MM: scf.yield
// I8MM: %[[ROW0:.*]] = vector.shuffle %{{.*}}, %{{.*}} [0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29] : vector<32xi32>, vector<32xi32>
// I8MM: vector.store %[[ROW0]]
// I8MM: %[[ROW1:.*]] = vector.shuffle %{{.*}}, %{{.*}} [2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30, 31] : vector<32xi32>, vector<32xi32>
// I8MM: vector.store %[[ROW1]]
// I8MM-COUNT-2: vector.store
// The single row: its pair's second half is zero and is not stored.
// I8MM: scf.for {{.*}} -> (vector<32xi32>)
// I8MM-COUNT-8: llvm.call_intrinsic "llvm.aarch64.neon.usmmla.v4i32.v16i8"
// I8MM: scf.yield
// I8MM: vector.store
// I8MM-NOT: vector.store
// I8MM: return
//
// dotprod has no usmmla: the K0 = 8 layout takes the scalar loops.
// DOT-LABEL: func.func @int8_k8
// DOT-NOT: llvm.call_intrinsic
// DOT: arith.muli
// DOT-NOT: llvm.call_intrinsic
// DOT: return
func.func @int8_k8(%a: memref<5x16xi8>, %w: memref<1x2x16x8xi8>, %acc: memref<5x16xi32>) {
  qc.packed_matmul ins(%a, %w : memref<5x16xi8>, memref<1x2x16x8xi8>) outs(%acc : memref<5x16xi32>)
  return
}
