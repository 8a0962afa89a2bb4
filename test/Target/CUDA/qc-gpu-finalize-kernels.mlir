// RUN: qc-opt %s --qc-gpu-finalize-kernels | FileCheck %s

// The kernels of both GPU modules end in the first one, the constant the
// two modules share is kept once, the launches are retargeted, and shared
// buffers and constants are 16-byte aligned.
// CHECK: gpu.module @k0
// CHECK: memref.global "private" constant @cst : memref<4xf32> = dense<1.000000e+00> {alignment = 16 : i64}
// CHECK: gpu.func @k0
// CHECK-SAME: workgroup(%{{.*}} : memref<64xi8, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHECK: gpu.func @k1
// CHECK-NOT: memref.global
// CHECK-NOT: gpu.module
// CHECK: func.func @host
// CHECK: gpu.launch_func  @k0::@k0
// CHECK: gpu.launch_func  @k0::@k1
module attributes {gpu.container_module} {
  gpu.module @k0 {
    memref.global "private" constant @cst : memref<4xf32> = dense<1.0>
    gpu.func @k0() workgroup(%s : memref<64xi8, #gpu.address_space<workgroup>>) kernel {
      %g = memref.get_global @cst : memref<4xf32>
      gpu.return
    }
  }
  gpu.module @k1 {
    memref.global "private" constant @cst : memref<4xf32> = dense<1.0>
    gpu.func @k1() kernel {
      %g = memref.get_global @cst : memref<4xf32>
      gpu.return
    }
  }
  func.func @host() {
    %c1 = arith.constant 1 : index
    gpu.launch_func @k0::@k0 blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    gpu.launch_func @k1::@k1 blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    return
  }
}
