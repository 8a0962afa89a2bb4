// RUN: qc-opt %s --qc-aot-export="model-name=tiny" | FileCheck %s

// CHECK-LABEL: llvm.func internal @main_graph
// CHECK-LABEL: llvm.func @qc_model_invoke(%{{.*}}: !llvm.ptr)
// CHECK: llvm.getelementptr %{{.*}}[0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK: llvm.load
// CHECK: llvm.getelementptr %{{.*}}[1] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK: llvm.call @main_graph
// CHECK-LABEL: llvm.func @tiny_invoke(%{{.*}}: !llvm.ptr)
// CHECK: llvm.call @qc_model_invoke
// CHECK: llvm.mlir.global internal constant @qc_signature_text("qc-signature 1
// CHECK-LABEL: llvm.func @qc_model_signature() -> !llvm.ptr
// CHECK: llvm.mlir.addressof @qc_signature_text
// CHECK-LABEL: llvm.func @qc_model_abi_version() -> i32
// CHECK: llvm.mlir.constant(1 : i32)
// CHECK-NOT: qc.signature
module attributes {qc.signature = "qc-signature 1\0Amodel 1:m\0Ainputs 1\0A1:x 1 1 4\0Aoutputs 1\0A1:y 1 1 4\0A"} {
  llvm.func @main_graph(%in: !llvm.ptr, %out: !llvm.ptr) {
    llvm.return
  }
}
