// RUN: qc-opt %s --qc-gpu-pipeline="aot=true chip=sm_89 serialize=false model-name=demo" | FileCheck %s
// RUN: qc-opt %s --qc-gpu-pipeline="aot=true emulate=true model-name=demo" | FileCheck %s --check-prefix=EMU

// The whole GPU lowering of a quantized matmul followed by a ReLU, without
// the final serialization to PTX (which needs the CUDA toolkit): the host
// function allocates device memory, copies the input in, launches the
// quantize kernel and the tensor-core GEMM (with the rescale and the ReLU
// fused into its epilogue), and copies the output back; the kernels are
// one GPU module in the NVVM dialect for sm_89.

// CHECK: llvm.func internal @main_graph(
// CHECK: llvm.call @mgpuStreamCreate
// CHECK: llvm.call @mgpuMemAlloc
// CHECK: llvm.call @mgpuMemcpy
// CHECK: gpu.launch_func <%{{.*}}> @main_graph_kernel::@main_graph_kernel blocks
// CHECK: gpu.launch_func <%{{.*}}> @main_graph_kernel::@main_graph_kernel_0 blocks
// CHECK: llvm.call @mgpuMemcpy
// CHECK: llvm.call @mgpuStreamSynchronize
// CHECK: gpu.module @main_graph_kernel [#nvvm.target<O = 3, chip = "sm_89", features = "+ptx84">]
// CHECK: llvm.func @main_graph_kernel(
// CHECK: llvm.func @main_graph_kernel_0(
// CHECK: nvvm.cp.async.shared.global
// CHECK: nvvm.mma.sync
// CHECK-SAME: multiplicandAPtxType = #nvvm.mma_type<u8>
// CHECK-SAME: multiplicandBPtxType = #nvvm.mma_type<s8>
// CHECK: llvm.sitofp
// CHECK: llvm.fmul
// CHECK: llvm.intr.maximum
// CHECK: llvm.store
// CHECK: llvm.func @qc_model_invoke
// CHECK: llvm.func @demo_invoke

// EMU-NOT: gpu.
// EMU-NOT: nvvm
// EMU-NOT: mgpu
// EMU: llvm.func internal @main_graph(
// EMU: llvm.func @qc_model_invoke

module {
  func.func @main_graph(%x: tensor<4x64xf32> {qc.name = "x"}) -> (tensor<4x32xf32> {qc.name = "y"}) {
    %q = qc.quantize %x : tensor<4x64xf32> -> tensor<4x64x!qc.uniform<u8:f32, 0.05:128>>
    %wb = arith.constant dense<2> : tensor<64x32xi8>
    %w = qc.storage_cast %wb : tensor<64x32xi8> -> tensor<64x32x!qc.uniform<i8:f32, 0.01>>
    %y = qc.matmul %q, %w : (tensor<4x64x!qc.uniform<u8:f32, 0.05:128>>, tensor<64x32x!qc.uniform<i8:f32, 0.01>>) -> tensor<4x32xf32>
    %zero = arith.constant dense<0.0> : tensor<4x32xf32>
    %r = arith.maximumf %y, %zero : tensor<4x32xf32>
    return %r : tensor<4x32xf32>
  }
}
