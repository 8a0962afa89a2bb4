// RUN: qc-opt %s --qc-cpu-pipeline="aot=true model-name=demo" | FileCheck %s --check-prefix=AOT
// RUN: qc-opt %s --qc-cpu-pipeline | FileCheck %s --check-prefix=JIT

// The whole CPU lowering: qc ops and tensors in, only the LLVM dialect out.
// With aot=true the entry takes bare pointers and the qc_model_* symbols
// are exported; without it the function keeps memref descriptors.

// AOT-NOT: qc.quantize
// AOT-NOT: linalg.
// AOT-NOT: tensor<
// AOT: llvm.func internal @main_graph(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// AOT: llvm.intr.roundeven
// AOT: llvm.func @qc_model_invoke
// AOT: llvm.func @demo_invoke
// AOT: llvm.func @qc_model_signature
// AOT: llvm.func @qc_model_abi_version

// JIT: llvm.func @main_graph(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64
// JIT-NOT: qc_model_invoke

module attributes {qc.model_name = "demo"} {
  func.func @main_graph(%x: tensor<4xf32> {qc.name = "x"}) -> (tensor<4xi8> {qc.name = "q"}) {
    %q = qc.quantize %x : tensor<4xf32> -> tensor<4x!qc.uniform<i8:f32, 0.5>>
    %s = qc.storage_cast %q : tensor<4x!qc.uniform<i8:f32, 0.5>> -> tensor<4xi8>
    return %s : tensor<4xi8>
  }
}
