//===- Compile.cpp - Models for NVIDIA GPUs: PTX, cubin, shared object ----===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qc/Target/CUDA/Compile.h"

#include "qc/Target/AOT/Codegen.h"
#include "qc/Target/AOT/ModelSignature.h"
#include "qc/Target/CUDA/Pipeline.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
using namespace mlir::qc;

#ifndef QC_CUDA_SUPPORT_LIB
#define QC_CUDA_SUPPORT_LIB ""
#endif

LogicalResult
mlir::qc::verifyGPUCompileOptions(const GPUCompileOptions &options,
                                  std::string &error) {
  if (failed(parseGPUChip(options.arch))) {
    error = "unknown GPU architecture '" + options.arch +
            "' (expected sm_80, sm_86, sm_89, sm_90, sm_90a or newer)";
    return failure();
  }
  if (options.splitOutputs < 1 || options.splitOutputs > 32) {
    error = "--gpu-split-outputs must be between 1 and 32 (got " +
            std::to_string(options.splitOutputs) + ")";
    return failure();
  }
  return success();
}

LogicalResult mlir::qc::lowerModuleForCUDA(ModuleOp module,
                                           const GPUCompileOptions &options) {
  std::string error;
  if (failed(verifyGPUCompileOptions(options, error)))
    return emitError(module.getLoc()) << error;
  // gpu-module-to-binary links the toolkit's libdevice (math functions);
  // say so up front rather than with the failing pass's diagnostic.
  std::string toolkit = getCUDAToolkitPath(options.toolkitPath);
  SmallString<256> libdevice(toolkit);
  llvm::sys::path::append(libdevice, "nvvm", "libdevice", "libdevice.10.bc");
  if (!options.emulate && !llvm::sys::fs::exists(libdevice))
    return emitError(module.getLoc())
           << "the CUDA toolkit was not found at '" << toolkit << "' (no "
           << libdevice
           << "); compiling for the GPU needs it: install the CUDA toolkit "
              "or set QC_CUDA_PATH or CUDA_HOME";
  PassManager pm(module.getContext());
  GPUPipelineOptions pipeline;
  pipeline.aot = true;
  pipeline.entry = options.entry;
  pipeline.modelName = options.symbolName;
  pipeline.chip = options.arch;
  pipeline.features = options.ptxFeatures;
  pipeline.optLevel = options.optLevel;
  pipeline.tensorCores = options.tensorCores;
  pipeline.wgmma = options.wgmma;
  pipeline.splitOutputs = options.splitOutputs;
  pipeline.toolkit = options.toolkitPath;
  pipeline.emulate = options.emulate;
  buildGPUPipeline(pm, pipeline);
  return pm.run(module);
}

FailureOr<std::string> mlir::qc::getModulePTX(ModuleOp module) {
  std::string ptx;
  bool found = false;
  module.walk([&](gpu::BinaryOp binary) {
    for (Attribute attr : binary.getObjectsAttr()) {
      auto object = dyn_cast<gpu::ObjectAttr>(attr);
      if (!object || object.getFormat() != gpu::CompilationTarget::Assembly)
        continue;
      ptx += object.getObject().getValue();
      found = true;
    }
  });
  if (!found)
    return failure();
  return ptx;
}

LogicalResult mlir::qc::emitCUDAPTX(ModuleOp module,
                                    const GPUCompileOptions &options,
                                    llvm::raw_ostream &os) {
  if (failed(lowerModuleForCUDA(module, options)))
    return failure();
  FailureOr<std::string> ptx = getModulePTX(module);
  if (failed(ptx))
    return emitError(module.getLoc(), "the model has no GPU kernels");
  os << *ptx;
  return success();
}

namespace {

/// A temporary file removed when this goes out of scope.
struct TempFile {
  SmallString<128> path;
  std::unique_ptr<llvm::FileRemover> remover;

  LogicalResult create(StringRef prefix, StringRef suffix, std::string &error) {
    int fd;
    if (std::error_code ec =
            llvm::sys::fs::createTemporaryFile(prefix, suffix, fd, path)) {
      error = "cannot create a temporary file: " + ec.message();
      return failure();
    }
    llvm::sys::Process::SafelyCloseFileDescriptor(fd);
    remover = std::make_unique<llvm::FileRemover>(path);
    return success();
  }
};

/// Runs `args` (args[0] is the program), capturing its output in `error`
/// on failure.
LogicalResult run(ArrayRef<std::string> args, std::string &error) {
  TempFile log;
  if (failed(log.create("qc-cuda-tool", "log", error)))
    return failure();
  SmallVector<StringRef> refs(args.begin(), args.end());
  std::optional<StringRef> redirects[] = {std::nullopt, log.path.str(),
                                          log.path.str()};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(args[0], refs, std::nullopt, redirects, 0,
                                     0, &message);
  if (rc == 0)
    return success();
  error = llvm::sys::path::filename(args[0]).str() + " failed";
  if (!message.empty())
    error += ": " + message;
  if (auto output = llvm::MemoryBuffer::getFile(log.path))
    error += "\n" + (*output)->getBuffer().rtrim().str();
  return failure();
}

/// `sm_90a` -> `90a`.
std::string smNumber(StringRef arch) {
  arch.consume_front("sm_");
  return arch.str();
}

/// The static CUDA driver loader linked into every GPU model.
FailureOr<std::string> findSupportLibrary(std::string &error) {
  SmallVector<std::string> candidates;
  if (const char *env = std::getenv("QC_CUDA_SUPPORT_LIB"))
    candidates.push_back(env);
  std::string exe = llvm::sys::fs::getMainExecutable(nullptr, nullptr);
  if (!exe.empty()) {
    SmallString<256> installed(
        llvm::sys::path::parent_path(llvm::sys::path::parent_path(exe)));
    llvm::sys::path::append(installed, "lib", "libqc_cuda_support.a");
    candidates.push_back(installed.str().str());
  }
  candidates.push_back(QC_CUDA_SUPPORT_LIB);
  for (const std::string &candidate : candidates)
    if (!candidate.empty() && llvm::sys::fs::exists(candidate))
      return candidate;
  error = "cannot find libqc_cuda_support.a (set QC_CUDA_SUPPORT_LIB)";
  return failure();
}

/// Writes the header of a model.
LogicalResult writeHeader(Location loc, const ModelSignature &signature,
                          StringRef symbolName, StringRef header) {
  if (header.empty())
    return success();
  std::string error;
  auto file = openOutputFile(header, &error);
  if (!file)
    return emitError(loc) << error;
  file->os() << signature.toCHeader(symbolName);
  file->keep();
  return success();
}

/// The emulated GPU model (lowered with `emulate`): host code only, linked
/// like a CPU model.
LogicalResult emitEmulatedSharedObject(ModuleOp module,
                                       const GPUCompileOptions &options,
                                       const ModelSignature &signature,
                                       StringRef output, StringRef header) {
  Location loc = module.getLoc();
  std::string error;
  DialectRegistry registry;
  registerAllToLLVMIRTranslations(registry);
  module.getContext()->appendDialectRegistry(registry);
  FailureOr<TargetSpec> host = resolveTarget("host", "generic", error);
  if (failed(host))
    return emitError(loc) << error;
  host->optLevel = 2;
  if (failed(emitAndLinkSharedObject(module, *host, output)))
    return failure();
  return writeHeader(loc, signature, options.symbolName, header);
}

} // namespace

FailureOr<std::string>
mlir::qc::assembleFatbin(StringRef ptx, const GPUCompileOptions &options,
                         std::string &error) {
  std::string toolkit = getCUDAToolkitPath(options.toolkitPath);
  SmallString<256> ptxas(toolkit), fatbinary(toolkit);
  llvm::sys::path::append(ptxas, "bin", "ptxas");
  llvm::sys::path::append(fatbinary, "bin", "fatbinary");
  for (StringRef tool : {ptxas.str(), fatbinary.str()}) {
    if (!llvm::sys::fs::can_execute(tool)) {
      error = "cannot find " + tool.str() +
              " (the CUDA toolkit; set QC_CUDA_PATH or CUDA_HOME)";
      return failure();
    }
  }
  TempFile ptxFile, cubinFile, fatbinFile;
  if (failed(ptxFile.create("qc-kernels", "ptx", error)) ||
      failed(cubinFile.create("qc-kernels", "cubin", error)) ||
      failed(fatbinFile.create("qc-kernels", "fatbin", error)))
    return failure();
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(ptxFile.path, ec);
    if (ec) {
      error = "cannot write " + ptxFile.path.str().str() + ": " + ec.message();
      return failure();
    }
    os << ptx;
  }
  std::string opt = "-O" + std::to_string(std::min(options.optLevel, 3u));
  if (failed(run({ptxas.str().str(), "-arch=" + options.arch, opt,
                  ptxFile.path.str().str(), "-o", cubinFile.path.str().str()},
                 error)))
    return failure();
  std::string sm = smNumber(options.arch);
  SmallVector<std::string> args{
      fatbinary.str().str(), "-64", "--create", fatbinFile.path.str().str(),
      "--image3=kind=elf,sm=" + sm + ",file=" + cubinFile.path.str().str()};
  if (options.embedPTX)
    args.push_back("--image3=kind=ptx,sm=" + sm +
                   ",file=" + ptxFile.path.str().str());
  if (failed(run(args, error)))
    return failure();
  auto bytes = llvm::MemoryBuffer::getFile(fatbinFile.path, /*IsText=*/false,
                                           /*RequiresNullTerminator=*/false);
  if (!bytes) {
    error = "cannot read the fatbin: " + bytes.getError().message();
    return failure();
  }
  return (*bytes)->getBuffer().str();
}

LogicalResult mlir::qc::emitCUDASharedObject(ModuleOp module,
                                             const GPUCompileOptions &options,
                                             StringRef output,
                                             StringRef header) {
  Location loc = module.getLoc();
  MLIRContext *ctx = module.getContext();
  std::string error;
  auto entry = module.lookupSymbol<func::FuncOp>(options.entry);
  if (!entry)
    return emitError(loc) << "the module has no @" << options.entry;
  FailureOr<ModelSignature> signature = ModelSignature::fromFunction(entry);
  if (failed(signature))
    return failure();
  if (failed(lowerModuleForCUDA(module, options)))
    return failure();
  if (options.emulate)
    return emitEmulatedSharedObject(module, options, *signature, output,
                                    header);

  // Kernels: PTX -> cubin (+ PTX) in a fatbin, in place of the PTX.
  WalkResult assembled = module.walk([&](gpu::BinaryOp binary) {
    SmallVector<Attribute> objects;
    for (Attribute attr : binary.getObjectsAttr()) {
      auto object = cast<gpu::ObjectAttr>(attr);
      if (object.getFormat() != gpu::CompilationTarget::Assembly) {
        objects.push_back(object);
        continue;
      }
      FailureOr<std::string> fatbin =
          assembleFatbin(object.getObject().getValue(), options, error);
      if (failed(fatbin)) {
        binary.emitError("assembling the GPU kernels failed: ") << error;
        return WalkResult::interrupt();
      }
      objects.push_back(gpu::ObjectAttr::get(
          ctx, object.getTarget(), gpu::CompilationTarget::Fatbin,
          StringAttr::get(ctx, *fatbin), object.getProperties(),
          object.getKernels()));
    }
    binary.setObjectsAttr(ArrayAttr::get(ctx, objects));
    return WalkResult::advance();
  });
  if (assembled.wasInterrupted())
    return failure();

  // Host code: an object for this machine, linked with the driver loader.
  DialectRegistry registry;
  registerAllToLLVMIRTranslations(registry);
  ctx->appendDialectRegistry(registry);
  FailureOr<TargetSpec> host = resolveTarget("host", "generic", error);
  if (failed(host))
    return emitError(loc) << error;
  host->optLevel = 2;
  // The model links the static CUDA driver loader and needs libc only
  // (dlopen, pthreads); libcuda is dlopen'ed at run time.
  FailureOr<std::string> support = findSupportLibrary(error);
  if (failed(support))
    return emitError(loc) << error;
  if (failed(emitAndLinkSharedObject(module, *host, output, {*support})))
    return failure();

  return writeHeader(loc, *signature, options.symbolName, header);
}
