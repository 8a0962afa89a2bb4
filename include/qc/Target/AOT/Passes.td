//===- Passes.td - qc ahead-of-time ABI passes -------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_TARGET_AOT_PASSES_TD
#define QC_TARGET_AOT_PASSES_TD

include "mlir/Pass/PassBase.td"

def AOTPrepareEntryPass : Pass<"qc-aot-prepare-entry", "ModuleOp"> {
  let summary = "Rewrite the entry function to write into caller-owned buffers";
  let description = [{
    Turns `func.func @entry(tensor...) -> (tensor...)` into
    `func.func @entry(memref... inputs, memref... outputs)`: inputs are read
    through `bufferization.to_tensor ... restrict` and each result is stored
    with `bufferization.materialize_in_destination` into its output buffer,
    so one-shot bufferization writes results in place with no extra copy.
    The model's signature (names, ONNX element types, shapes, taken from the
    `qc.name` / `qc.dtype` argument and result attributes or from the types)
    is recorded on the module as `qc.signature` for `qc-aot-export`.
  }];
  let options = [
    Option<"entry", "entry", "std::string", "\"main_graph\"",
           "name of the entry function">
  ];
  let dependentDialects = [
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::memref::MemRefDialect"
  ];
}

def AOTPlanWorkspacePass : Pass<"qc-aot-plan-workspace", "ModuleOp"> {
  let summary = "Place the entry function's buffers in one planned workspace";
  let description = [{
    Runs after bufferization, before buffer deallocation. Every memref.alloc
    in the entry function's top-level block with a static shape and identity
    layout whose memory does not escape (returned, passed to a call, stored)
    becomes a `memref.view` into a new last argument `memref<Wxi8>`, the
    workspace. Offsets come from the buffers' live ranges (first use to last
    use of the alloc or any view of it, in block order), placed greedily by
    decreasing size at the lowest 64-byte-aligned offset that overlaps no
    buffer alive at the same time. W is recorded on the module as
    `qc.workspace_size`; `qc-aot-export` passes the workspace in.
  }];
  let options = [
    Option<"entry", "entry", "std::string", "\"main_graph\"",
           "name of the entry function">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect"
  ];
}

def AOTExportPass : Pass<"qc-aot-export", "ModuleOp"> {
  let summary = "Add the exported qc_model_* symbols to an LLVM-dialect module";
  let description = [{
    Runs after lowering to the LLVM dialect with the bare-pointer memref
    calling convention. Adds

    - `void qc_model_invoke(void **buffers)`: loads one pointer per input
      and output, in signature order, and calls the entry function;
    - `const char *qc_model_signature(void)`: the signature text recorded by
      `qc-aot-prepare-entry` (format in `runtime/include/qc/qc_runtime.h`);
    - `uint32_t qc_model_abi_version(void)`;
    - `<model-name>_invoke`, an alias of `qc_model_invoke` for programs that
      link several models directly.

    Every other function becomes internal, so the shared object exports only
    these symbols.
  }];
  let options = [
    Option<"entry", "entry", "std::string", "\"main_graph\"",
           "name of the entry function">,
    Option<"modelName", "model-name", "std::string", "\"model\"",
           "C identifier prefixing the model's exported symbols">
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // QC_TARGET_AOT_PASSES_TD
