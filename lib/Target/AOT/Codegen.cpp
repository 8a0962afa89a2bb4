//===- Codegen.cpp - LLVM-dialect module to object and shared object ------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qc/Target/AOT/Codegen.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

#include <mutex>

using namespace mlir;
using namespace mlir::qc;

#ifndef QC_LIBOMP_DIR
#define QC_LIBOMP_DIR "/usr/lib/llvm-22/lib"
#endif
#ifndef QC_LLD_PATH
#define QC_LLD_PATH "/usr/lib/llvm-22/bin/ld.lld"
#endif

static void initializeTargets() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
  });
}

FailureOr<TargetSpec> mlir::qc::resolveTarget(StringRef target, StringRef cpu,
                                              std::string &error) {
  TargetSpec spec;
  std::string host = llvm::sys::getDefaultTargetTriple();
  StringRef hostArch = StringRef(host).split('-').first;
  if (target.empty() || target == "host")
    target = hostArch;
  if (target == "x86_64" || target == "x86-64")
    spec.triple = "x86_64-unknown-linux-gnu";
  else if (target == "aarch64" || target == "arm64")
    spec.triple = "aarch64-unknown-linux-gnu";
  else {
    error = "unknown target '" + target.str() +
            "' (expected x86_64, aarch64 or host)";
    return failure();
  }
  spec.isHost = StringRef(spec.triple).split('-').first == hostArch;
  if (cpu.empty() || cpu == "native") {
    if (spec.isHost) {
      spec.cpu = llvm::sys::getHostCPUName().str();
      llvm::SubtargetFeatures features;
      for (const auto &feature : llvm::sys::getHostCPUFeatures())
        features.AddFeature(feature.getKey(), feature.getValue());
      spec.features = features.getString();
    } else {
      spec.cpu = "generic";
    }
  } else {
    spec.cpu = cpu.str();
  }
  initializeTargets();
  std::string lookupError;
  const llvm::Target *t = llvm::TargetRegistry::lookupTarget(
      llvm::Triple(spec.triple), lookupError);
  if (!t) {
    error = "LLVM has no backend for " + spec.triple + ": " + lookupError;
    return failure();
  }
  std::unique_ptr<llvm::MCSubtargetInfo> sti(t->createMCSubtargetInfo(
      llvm::Triple(spec.triple), spec.cpu, spec.features));
  if (!sti || !sti->isCPUStringValid(spec.cpu)) {
    error = "unknown CPU '" + spec.cpu + "' for " + spec.triple;
    return failure();
  }
  // checkFeatures aborts on names the target does not know.
  if (llvm::Triple(spec.triple).isX86()) {
    spec.hasAVX512VNNI = sti->checkFeatures("+avx512vnni");
  } else {
    spec.hasDotProd = sti->checkFeatures("+dotprod");
    spec.hasI8MM = sti->checkFeatures("+i8mm");
  }
  return spec;
}

LogicalResult mlir::qc::emitObject(ModuleOp module, const TargetSpec &target,
                                   llvm::raw_pwrite_stream &os,
                                   std::string *llvmIR) {
  initializeTargets();
  registerBuiltinDialectTranslation(*module.getContext());
  registerLLVMDialectTranslation(*module.getContext());
  registerOpenMPDialectTranslation(*module.getContext());
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, "qc_model");
  if (!llvmModule)
    return module.emitError() << "translation to LLVM IR failed";

  std::string error;
  llvm::Triple triple(target.triple);
  const llvm::Target *t = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!t)
    return module.emitError()
           << "no LLVM target for " << target.triple << ": " << error;
  llvm::TargetOptions options;
  // Global constructors (e.g. a GPU model registering its kernels) must go
  // to .init_array: ld.lld -shared links no crtbegin.o, so nothing would run
  // the legacy .ctors section.
  options.UseInitArray = true;
  std::unique_ptr<llvm::TargetMachine> machine(t->createTargetMachine(
      triple, target.cpu, target.features, options, llvm::Reloc::PIC_,
      std::nullopt,
      target.optLevel >= 3   ? llvm::CodeGenOptLevel::Aggressive
      : target.optLevel == 0 ? llvm::CodeGenOptLevel::None
                             : llvm::CodeGenOptLevel::Default));
  if (!machine)
    return module.emitError() << "cannot create a target machine for "
                              << target.triple << " (" << target.cpu << ")";
  llvmModule->setDataLayout(machine->createDataLayout());
  llvmModule->setTargetTriple(triple);

  auto optimize = makeOptimizingTransformer(target.optLevel, /*sizeLevel=*/0,
                                            machine.get());
  if (llvm::Error err = optimize(llvmModule.get()))
    return module.emitError()
           << "LLVM optimization failed: " << llvm::toString(std::move(err));
  if (llvmIR) {
    llvm::raw_string_ostream irStream(*llvmIR);
    llvmModule->print(irStream, nullptr);
  }
  llvm::legacy::PassManager codegen;
  if (machine->addPassesToEmitFile(codegen, os, nullptr,
                                   llvm::CodeGenFileType::ObjectFile))
    return module.emitError() << "the target cannot emit object files";
  codegen.run(*llvmModule);
  return success();
}

LogicalResult mlir::qc::linkSharedObject(StringRef objectPath,
                                         StringRef outputPath,
                                         const TargetSpec &target,
                                         std::string &error,
                                         ArrayRef<std::string> extraInputs) {
  std::string lld = QC_LLD_PATH;
  if (const char *env = std::getenv("QC_LLD"))
    lld = env;
  if (!llvm::sys::fs::can_execute(lld)) {
    auto found = llvm::sys::findProgramByName("ld.lld");
    if (!found) {
      error =
          "cannot find the linker ld.lld (looked for " + lld + "; set QC_LLD)";
      return failure();
    }
    lld = *found;
  }
  SmallVector<std::string> args{
      lld,           "-shared", "--gc-sections",  "-z",
      "noexecstack", "-o",      outputPath.str(), objectPath.str()};
  args.append(extraInputs.begin(), extraInputs.end());
  // Record libm and libc as dependencies so that any process can load the
  // model, and insist that every symbol resolves now rather than when a user
  // loads it. That needs the target's C library: the host's, or a Debian
  // cross one (libc6-dev-<arch>-cross); without one, a cross-compiled model
  // resolves them when loaded.
  StringRef arch = StringRef(target.triple).split('-').first;
  std::string multiarch = (arch + "-linux-gnu").str();
  SmallVector<std::string> libDirs;
  if (target.isHost) {
    libDirs = {"/usr/lib/" + multiarch, "/lib/" + multiarch};
  } else {
    std::string cross = "/usr/" + multiarch + "/lib";
    if (llvm::sys::fs::exists(cross + "/libc.so"))
      libDirs = {cross};
  }
  if (!libDirs.empty()) {
    for (const std::string &dir : libDirs)
      args.push_back("-L" + dir);
    // Soft-float helpers LLVM may call (e.g. __truncdfhf2 for f64 -> f16)
    // live in GCC's static libgcc; only the members used are linked in.
    std::string gccDir = target.isHost ? "/usr/lib/gcc/" + multiarch
                                       : "/usr/lib/gcc-cross/" + multiarch;
    std::error_code ec;
    std::string libgcc;
    for (llvm::sys::fs::directory_iterator it(gccDir, ec), end;
         it != end && !ec; it.increment(ec)) {
      std::string candidate = it->path() + "/libgcc.a";
      if (llvm::sys::fs::exists(candidate) && candidate > libgcc)
        libgcc = candidate;
    }
    if (!libgcc.empty())
      args.push_back(libgcc);
    if (target.openmp) {
      // LLVM's OpenMP runtime, found where the model will look for it.
      args.push_back("-L" QC_LIBOMP_DIR);
      args.push_back("-rpath=" QC_LIBOMP_DIR);
      args.push_back("-lomp");
    }
    args.push_back("--no-undefined");
    args.push_back("--as-needed");
    args.push_back("-lm");
    args.push_back("-lc");
  }
  SmallVector<StringRef> argRefs(args.begin(), args.end());
  std::string message;
  int rc =
      llvm::sys::ExecuteAndWait(lld, argRefs, std::nullopt, {}, 0, 0, &message);
  if (rc != 0) {
    error = "linking " + outputPath.str() + " with " + lld + " failed" +
            (message.empty() ? "" : ": " + message);
    return failure();
  }
  return success();
}

LogicalResult
mlir::qc::emitAndLinkSharedObject(ModuleOp module, const TargetSpec &target,
                                  StringRef outputPath,
                                  ArrayRef<std::string> extraInputs) {
  Location loc = module.getLoc();
  SmallString<0> objectBytes;
  llvm::raw_svector_ostream objectStream(objectBytes);
  if (failed(emitObject(module, target, objectStream)))
    return failure();
  SmallString<128> objectPath;
  int fd;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("qc-model", "o", fd, objectPath))
    return emitError(loc) << "cannot create a temporary file: " << ec.message();
  llvm::FileRemover removeObject(objectPath);
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << objectBytes;
    os.close();
    if (os.has_error())
      return emitError(loc)
             << "cannot write " << objectPath << ": " << os.error().message();
  }
  std::string error;
  if (failed(
          linkSharedObject(objectPath, outputPath, target, error, extraInputs)))
    return emitError(loc) << error;
  return success();
}
