// RUN: qc-opt %s --qc-cpu-pipeline="aot=true vnni=true weight-only-compute=int8" | FileCheck %s --check-prefix=INT8
// RUN: qc-opt %s --qc-cpu-pipeline="aot=true vnni=true" | FileCheck %s --check-prefix=EXACT
// RUN: qc-opt %s --qc-cpu-pipeline="aot=true vnni=true weight-only-compute=exact" | FileCheck %s --check-prefix=EXACT
// RUN: not qc-opt %s --qc-cpu-pipeline="aot=true weight-only-compute=int8" 2>&1 | FileCheck %s --check-prefix=NOVNNI

// weight-only-compute=int8 reaches the weight-only matmul's kernel: the
// LLVM dialect out has vpdpbusd and the activation quantization
// (roundeven), and no MXCSR change (the exact kernel's denormal form).
// INT8-LABEL: llvm.func internal @main_graph
// INT8: llvm.intr.roundeven
// INT8: "llvm.x86.avx512.vpdpbusd.512"
// INT8-NOT: ldmxcsr
// EXACT-LABEL: llvm.func internal @main_graph
// EXACT-NOT: vpdpbusd
// EXACT: llvm.x86.sse.ldmxcsr
// EXACT-NOT: vpdpbusd
// NOVNNI: error: int8_compute needs a target with integer dot products (AVX-512 VNNI vpdpbusd, AArch64 usdot or sdot)
!qw = !qc.uniform<u4:f32:0, block = 16, scales = dense<0.5> : tensor<2x3xf32>, zero_points = dense<8> : tensor<2x3xi32>>
func.func @main_graph(%x: tensor<2x32xf32>) -> tensor<2x3xf32> {
  %wb = arith.constant dense<3> : tensor<32x3xi4>
  %w = qc.storage_cast %wb : tensor<32x3xi4> -> tensor<32x3x!qw>
  %y = qc.matmul %x, %w : (tensor<2x32xf32>, tensor<32x3x!qw>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
