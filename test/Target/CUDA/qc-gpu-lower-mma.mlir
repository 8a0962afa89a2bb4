// RUN: qc-opt %s --split-input-file --qc-gpu-lower-mma | FileCheck %s
// RUN: qc-opt %s --split-input-file --qc-gpu-lower-mma="wgmma=true" | FileCheck %s --check-prefix=WG
// RUN: qc-opt %s --split-input-file --qc-gpu-lower-mma="fp8=false" | FileCheck %s --check-prefix=NOFP8

#mA = affine_map<(m, n, k) -> (m, k)>
#mB = affine_map<(m, n, k) -> (n, k)>
#mC = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(m, n) -> (m, n)>
#col = affine_map<(m, n) -> (n)>

// INT8 with a fusable epilogue: one launch of 2 x 1 blocks of 128 threads
// (128 x 128 tiles, 2 x 2 warps) that stages A and B^T in a double buffer
// of 2 * (128 + 128) * 80 bytes with cp.async, runs mma.sync m16n8k32 s8
// and applies the epilogue (sitofp, scale) to the accumulators in
// registers: the i32 accumulator buffer and its fill are gone.
// CHECK-LABEL: func.func @int8_fused
// CHECK-NOT: memref.alloc
// CHECK-NOT: linalg.fill
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[C128:.*]] = arith.constant 128 : index
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %[[C1]], %{{.*}} = %[[C2]], %{{.*}}) threads({{.*}}) in (%{{.*}} = %[[C128]], %{{[^)]*}}) workgroup(%{{.*}} : memref<40960xi8, #gpu.address_space<workgroup>>)
// CHECK: nvgpu.device_async_copy %{{.*}}, 16, %{{.*}} {bypassL1} : memref<256x64xi8> to memref<40960xi8, #gpu.address_space<workgroup>>
// CHECK: nvvm.cp.async.commit.group
// CHECK: scf.for
// CHECK: nvvm.cp.async.wait.group 1
// CHECK: gpu.barrier
// CHECK: nvvm.mma.sync
// CHECK-SAME: intOverflowBehavior = #nvvm.mma_int_overflow<satfinite>
// CHECK-SAME: multiplicandAPtxType = #nvvm.mma_type<s8>
// CHECK-SAME: shape = #nvvm.shape<m = 16, n = 8, k = 32>
// CHECK: gpu.barrier
// CHECK: scf.yield
// CHECK: nvvm.cp.async.wait.group 0
// CHECK: arith.sitofp
// CHECK: arith.mulf
// CHECK: memref.store %{{.*}}, %{{.*}}[%{{.*}}, %{{.*}}] : memref<256x64xf32>
// CHECK: gpu.terminator
// CHECK-NOT: linalg.generic
// CHECK-NOT: memref.dealloc
func.func @int8_fused(%a: memref<256x64xi8>, %bT: memref<64x64xi8>, %scale: memref<64xf32>, %out: memref<256x64xf32>) {
  %acc = memref.alloc() {alignment = 64 : i64} : memref<256x64xi32>
  %zero = arith.constant 0 : i32
  linalg.fill ins(%zero : i32) outs(%acc : memref<256x64xi32>)
  linalg.generic {indexing_maps = [#mA, #mB, #mC], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %bT : memref<256x64xi8>, memref<64x64xi8>) outs(%acc : memref<256x64xi32>) attrs = {qc.gpu.mma = "s8.s8"} {
  ^bb0(%x: i8, %y: i8, %s: i32):
    %xe = arith.extsi %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %p = arith.muli %xe, %ye : i32
    %r = arith.addi %s, %p : i32
    linalg.yield %r : i32
  }
  linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]} ins(%acc, %scale : memref<256x64xi32>, memref<64xf32>) outs(%out : memref<256x64xf32>) {
  ^bb0(%v: i32, %sc: f32, %o: f32):
    %f = arith.sitofp %v : i32 to f32
    %m = arith.mulf %f, %sc : f32
    linalg.yield %m : f32
  }
  memref.dealloc %acc : memref<256x64xi32>
  return
}

// -----

#mA = affine_map<(m, n, k) -> (m, k)>
#mB = affine_map<(m, n, k) -> (n, k)>
#mC = affine_map<(m, n, k) -> (m, n)>

// FP8 without a consumer: the kernel stores the f32 accumulators (masked:
// 24 x 40 is not a multiple of the tile) and replaces the zero fill. A short matrix (M <= 32) gets
// 32-row blocks with the four warps side by side. mma.sync has no FP8 form
// in the NVVM dialect, so the kernel calls the LLVM intrinsic.
// CHECK-LABEL: func.func @fp8_store
// CHECK-NOT: linalg.fill
// CHECK: gpu.launch
// CHECK-SAME: workgroup(%{{.*}} : memref<25600xi8, #gpu.address_space<workgroup>>)
// CHECK: llvm.call_intrinsic "llvm.nvvm.mma.m16n8k32.row.col.f32.e4m3.e5m2.f32"
// CHECK-SAME: (i32, i32, i32, i32, i32, i32, f32, f32, f32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// CHECK: scf.if
// CHECK: memref.store %{{.*}} : memref<24x40xf32>
// CHECK-NOT: linalg.generic
// NOFP8-LABEL: func.func @fp8_store
// NOFP8-NOT: gpu.launch
// NOFP8: linalg.generic
// NOFP8-SAME: qc.gpu.mma = "e4m3.e5m2"
func.func @fp8_store(%a: memref<24x64xi8>, %bT: memref<40x64xi8>, %acc: memref<24x40xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%acc : memref<24x40xf32>)
  linalg.generic {indexing_maps = [#mA, #mB, #mC], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %bT : memref<24x64xi8>, memref<40x64xi8>) outs(%acc : memref<24x40xf32>) attrs = {qc.gpu.mma = "e4m3.e5m2"} {
  ^bb0(%x: i8, %y: i8, %s: f32):
    %xf = arith.bitcast %x : i8 to f8E4M3FN
    %yf = arith.bitcast %y : i8 to f8E5M2
    %xe = arith.extf %xf : f8E4M3FN to f32
    %ye = arith.extf %yf : f8E5M2 to f32
    %p = arith.mulf %xe, %ye : f32
    %r = arith.addf %s, %p : f32
    linalg.yield %r : f32
  }
  return
}

// With wgmma=true: two warpgroups (256 threads) per 128-row block, the
// instruction as wide as the matrix (n = 64; n = 48 for N = 40), three
// stages of (128 + N) x 64 bytes in the K-major layout the descriptors
// describe, the accumulators fenced, committed and waited for around the
// asynchronous MMAs.
// WG-LABEL: func.func @int8_fused
// WG: gpu.launch
// WG-SAME: workgroup(%{{.*}} : memref<36864xi8, #gpu.address_space<workgroup>>)
// WG: nvvm.fence.proxy
// WG: nvvm.wgmma.fence.aligned
// WG: nvvm.wgmma.mma_async
// WG-SAME: <m = 64, n = 64, k = 32>
// WG-SAME: D[<s32>, <one>, <satfinite>]
// WG: nvvm.wgmma.commit.group.sync.aligned
// WG: nvvm.wgmma.wait.group.sync.aligned 0
// WG-LABEL: func.func @fp8_store
// WG: gpu.launch
// WG-SAME: workgroup(%{{.*}} : memref<33792xi8, #gpu.address_space<workgroup>>)
// WG: nvvm.wgmma.mma_async
// WG-SAME: <m = 64, n = 48, k = 32>
// WG-SAME: A[<e4m3>, <one>, <row>]
// WG-SAME: B[<e5m2>, <one>, <col>]

// -----

#mA = affine_map<(m, n, k) -> (m, k)>
#mB = affine_map<(m, n, k) -> (n, k)>
#mC = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(m, n) -> (m, n)>

// An epilogue that bufferization wrote over the accumulator (the FP8
// rescale): still fused; the kernel stores the scaled values into the
// buffer, which the copy after it reads.
// CHECK-LABEL: func.func @fp8_in_place
// CHECK: %[[ACC:.*]] = memref.alloc
// CHECK-NOT: linalg.fill
// CHECK: gpu.launch
// CHECK: llvm.call_intrinsic "llvm.nvvm.mma.m16n8k32.row.col.f32.e4m3.e4m3.f32"
// CHECK: %[[S:.*]] = arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: memref.store %[[S]], %[[ACC]]
// CHECK: gpu.terminator
// CHECK-NOT: linalg.generic
// CHECK: memref.copy %[[ACC]], %{{.*}}
// CHECK: memref.dealloc %[[ACC]]
func.func @fp8_in_place(%a: memref<32x32xi8>, %bT: memref<32x32xi8>, %out: memref<32x32xf32>) {
  %acc = memref.alloc() {alignment = 64 : i64} : memref<32x32xf32>
  %zero = arith.constant 0.0 : f32
  %scale = arith.constant 0.125 : f32
  linalg.fill ins(%zero : f32) outs(%acc : memref<32x32xf32>)
  linalg.generic {indexing_maps = [#mA, #mB, #mC], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %bT : memref<32x32xi8>, memref<32x32xi8>) outs(%acc : memref<32x32xf32>) attrs = {qc.gpu.mma = "e4m3.e4m3"} {
  ^bb0(%x: i8, %y: i8, %s: f32):
    %xf = arith.bitcast %x : i8 to f8E4M3FN
    %yf = arith.bitcast %y : i8 to f8E4M3FN
    %xe = arith.extf %xf : f8E4M3FN to f32
    %ye = arith.extf %yf : f8E4M3FN to f32
    %p = arith.mulf %xe, %ye : f32
    %r = arith.addf %s, %p : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%acc : memref<32x32xf32>) outs(%acc : memref<32x32xf32>) {
  ^bb0(%v: f32, %o: f32):
    %m = arith.mulf %v, %scale : f32
    linalg.yield %m : f32
  }
  memref.copy %acc, %out : memref<32x32xf32> to memref<32x32xf32>
  memref.dealloc %acc : memref<32x32xf32>
  return
}

// -----

#mA = affine_map<(m, n, k) -> (m, k)>
#mP = affine_map<(m, n, k) -> (n, k floordiv 2)>
#mC = affine_map<(m, n, k) -> (m, n)>

// Packed int4 weights (B^T is [N, K / 2] bytes, read a byte per two k):
// the copies move half as many B bytes, each B register is widened from 16
// bits of nibbles to four signed bytes, and the MMA is u8 x s8.
// CHECK-LABEL: func.func @w4_store
// CHECK: gpu.launch
// CHECK: nvgpu.device_async_copy %{{.*}} : memref<32x32xi8> to memref<{{.*}}xi8, #gpu.address_space<workgroup>>
// CHECK: arith.andi %{{.*}}, %c134744072_i32 : i32
// CHECK: arith.muli %{{.*}}, %c30_i32 : i32
// CHECK: nvvm.mma.sync
// CHECK-SAME: multiplicandAPtxType = #nvvm.mma_type<u8>
// CHECK-SAME: multiplicandBPtxType = #nvvm.mma_type<s8>
// WG-LABEL: func.func @w4_store
// WG-NOT: wgmma
// WG: nvvm.mma.sync
func.func @w4_store(%a: memref<32x64xi8>, %bT: memref<32x32xi8>, %acc: memref<32x32xi32>) {
  %zero = arith.constant 0 : i32
  linalg.fill ins(%zero : i32) outs(%acc : memref<32x32xi32>)
  linalg.generic {indexing_maps = [#mA, #mP, #mC], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %bT : memref<32x64xi8>, memref<32x32xi8>) outs(%acc : memref<32x32xi32>) attrs = {qc.gpu.mma = "u8.s4"} {
  ^bb0(%x: i8, %y: i8, %s: i32):
    %k = linalg.index 2 : index
    %c2 = arith.constant 2 : index
    %c4 = arith.constant 4 : i8
    %odd = arith.remui %k, %c2 : index
    %oddi = arith.index_cast %odd : index to i8
    %sh = arith.muli %oddi, %c4 : i8
    %up = arith.subi %c4, %sh : i8
    %hi = arith.shli %y, %up : i8
    %w = arith.shrsi %hi, %c4 : i8
    %xe = arith.extui %x : i8 to i32
    %we = arith.extsi %w : i8 to i32
    %p = arith.muli %xe, %we : i32
    %r = arith.addi %s, %p : i32
    linalg.yield %r : i32
  }
  return
}
