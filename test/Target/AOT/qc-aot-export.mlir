// RUN: qc-opt %s -split-input-file --qc-aot-export="model-name=tiny" | FileCheck %s

// CHECK-LABEL: llvm.func internal @main_graph
// CHECK-LABEL: llvm.func @qc_model_invoke_ws(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// CHECK: llvm.getelementptr %{{.*}}[0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK: llvm.load
// CHECK: llvm.getelementptr %{{.*}}[1] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK: llvm.call @main_graph(%{{[0-9]+}}, %{{[0-9]+}}) : (!llvm.ptr, !llvm.ptr) -> ()
// CHECK-LABEL: llvm.func @qc_model_workspace_size() -> i64
// CHECK: llvm.mlir.constant(0 : i64)
// No workspace: qc_model_invoke passes none.
// CHECK-LABEL: llvm.func @qc_model_invoke(%{{.*}}: !llvm.ptr)
// CHECK-NOT: aligned_alloc
// CHECK: llvm.call @qc_model_invoke_ws
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

// -----

// A planned workspace is the entry's last argument: qc_model_invoke_ws
// passes the caller's, qc_model_invoke allocates one (64-byte aligned) and
// skips the call if that fails.
// CHECK-LABEL: llvm.func @qc_model_invoke_ws
// CHECK: llvm.call @main_graph(%{{[0-9]+}}, %{{[0-9]+}}, %arg1) : (!llvm.ptr, !llvm.ptr, !llvm.ptr) -> ()
// CHECK-LABEL: llvm.func @qc_model_workspace_size() -> i64
// CHECK: llvm.mlir.constant(4096 : i64)
// CHECK-LABEL: llvm.func @qc_model_invoke(
// CHECK: %[[WS:.*]] = llvm.call @aligned_alloc(%{{.*}}, %{{.*}})
// CHECK: %[[OK:.*]] = llvm.icmp "ne" %[[WS]]
// CHECK: llvm.cond_br %[[OK]]
// CHECK: llvm.call @qc_model_invoke_ws(%arg0, %[[WS]])
// CHECK: llvm.call @free(%[[WS]])
// CHECK-NOT: qc.workspace_size
module attributes {qc.workspace_size = 4096 : i64, qc.signature = "qc-signature 1\0Amodel 1:m\0Ainputs 1\0A1:x 1 1 4\0Aoutputs 1\0A1:y 1 1 4\0A"} {
  llvm.func @main_graph(%in: !llvm.ptr, %out: !llvm.ptr, %ws: !llvm.ptr) {
    llvm.return
  }
}
