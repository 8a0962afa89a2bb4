//===- runtime_fuzzer.cpp - libFuzzer target: the runtime's validation ----===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Fuzzes what the C runtime does with a model it did not compile and with
// callers it does not trust:
//
//   input = <signature text> NUL <bytes that describe qc_model_run calls>
//
// The signature goes to the parser directly and, through
// runtime_fuzz_model.so, to qc_model_open(); both must agree. Then up to four
// qc_model_run() calls pass tensors derived from the remaining bytes: wrong
// or missing names, dtypes, ranks, dimensions, buffer sizes, NULL pointers
// and aliased buffers. Every buffer (and shape array and name) is a heap
// block of exactly the size the call claims, and the model's invoke reads
// every input byte and writes every output byte its signature declares, so
// AddressSanitizer catches any call the runtime lets through that is not
// safe. A finding is also: a run that invokes the model and still fails (or
// succeeds without invoking it), a failure without a message, or outputs
// that overlap another tensor.
//
//===----------------------------------------------------------------------===//

#include "qc/qc_runtime.h"
// An internal C header, without C++ guards of its own.
extern "C" {
#include "qc_signature.h"
}

#include <fuzzer/FuzzedDataProvider.h>

#include <dlfcn.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

/// Largest buffer the fuzzer allocates for one tensor.
constexpr size_t kMaxBuffer = 1 << 17;

void (*setSignature)(const char *);
void (*setInvoke)(void (*)(void **));

/// What the current run expects of the model's invoke.
const qc_signature_t *currentSig;
int invokeCalls;

[[noreturn]] void finding(const char *what) {
  std::fprintf(stderr, "runtime_fuzzer: %s\n", what);
  std::abort();
}

bool overlap(const void *a, size_t na, const void *b, size_t nb) {
  auto x = reinterpret_cast<uintptr_t>(a), y = reinterpret_cast<uintptr_t>(b);
  return na && nb && x < y + nb && y < x + na;
}

/// The model: reads all its inputs, writes all its outputs.
void invokeHook(void **buffers) {
  ++invokeCalls;
  const qc_signature_t &sig = *currentSig;
  size_t total = sig.num_inputs + sig.num_outputs;
  volatile uint8_t sink = 0;
  for (size_t i = 0; i < sig.num_inputs; ++i) {
    const auto *p = static_cast<const uint8_t *>(buffers[i]);
    uint8_t x = 0;
    for (size_t b = 0; b < sig.tensors[i].num_bytes; ++b)
      x ^= p[b];
    sink = sink ^ x;
  }
  for (size_t i = sig.num_inputs; i < total; ++i) {
    for (size_t j = 0; j < total; ++j)
      if (j != i && overlap(buffers[i], sig.tensors[i].num_bytes, buffers[j],
                            sig.tensors[j].num_bytes))
        finding("qc_model_run passed an output that overlaps another tensor");
    std::memset(buffers[i], 0xa5, sig.tensors[i].num_bytes);
  }
}

void checkParsed(const qc_signature_t &sig) {
  if (!sig.model_name)
    finding("parsed signature without a model name");
  if (sig.num_outputs == 0)
    finding("parsed signature without outputs");
  for (size_t i = 0; i < sig.num_inputs + sig.num_outputs; ++i) {
    const qc_tensor_desc_t &t = sig.tensors[i];
    if (!t.name || t.name_len == 0 || std::strlen(t.name) != t.name_len)
      finding("tensor name length is not strlen(name)");
    if (t.rank < 0 || t.rank > QC_MAX_RANK || qc_dtype_size(t.dtype) == 0)
      finding("tensor with a bad rank or dtype");
    unsigned __int128 elems = 1;
    for (int32_t d = 0; d < t.rank; ++d) {
      if (t.shape[d] < 0)
        finding("negative dimension accepted");
      elems *= uint64_t(t.shape[d]);
    }
    if (elems != t.num_elements ||
        elems * qc_dtype_size(t.dtype) != t.num_bytes)
      finding("wrong element or byte count");
  }
}

/// Storage for one qc_model_run call's tensors.
struct Call {
  std::vector<std::unique_ptr<char[]>> names;
  std::vector<std::unique_ptr<int64_t[]>> shapes;
  std::vector<std::unique_ptr<uint8_t[]>> buffers;
  std::vector<qc_tensor_t> tensors;
};

/// Builds the tensors of one kind (`count` of them in the model, starting at
/// `offset` in `sig`).
void makeTensors(FuzzedDataProvider &fdp, const qc_signature_t &sig,
                 size_t offset, size_t count, Call &call) {
  size_t given = fdp.ConsumeBool()
                     ? count
                     : fdp.ConsumeIntegralInRange<size_t>(0, count + 2);
  int naming = fdp.ConsumeIntegralInRange(0, 2); // none, all, mixed
  for (size_t k = 0; k < given; ++k) {
    size_t slot = naming == 0 || count == 0
                      ? k
                      : fdp.ConsumeIntegralInRange<size_t>(0, count - 1);
    const qc_tensor_desc_t *d =
        slot < count ? &sig.tensors[offset + slot] : nullptr;
    qc_tensor_t t{};

    if (naming != 0 && (naming == 1 || fdp.ConsumeBool())) {
      std::string name = d && fdp.ConsumeBool()
                             ? std::string(d->name)
                             : fdp.ConsumeRandomLengthString(16);
      auto owned = std::make_unique<char[]>(name.size() + 1);
      std::memcpy(owned.get(), name.c_str(), name.size() + 1);
      t.name = owned.get();
      call.names.push_back(std::move(owned));
    }

    t.dtype = d && fdp.ConsumeBool()
                  ? d->dtype
                  : static_cast<qc_dtype_t>(fdp.ConsumeIntegral<int8_t>());
    t.rank =
        d && fdp.ConsumeBool() ? d->rank : fdp.ConsumeIntegralInRange(-2, 20);
    if (t.rank > 0 && fdp.ConsumeProbability<float>() > 0.02f) {
      auto shape = std::make_unique<int64_t[]>(t.rank);
      for (int32_t i = 0; i < t.rank; ++i)
        shape[i] = d && i < d->rank && fdp.ConsumeBool()
                       ? d->shape[i]
                       : fdp.ConsumeIntegralInRange<int64_t>(-1, 70000);
      t.shape = shape.get();
      call.shapes.push_back(std::move(shape));
    }

    size_t want = d ? d->num_bytes : 0;
    switch (fdp.ConsumeIntegralInRange(0, 3)) {
    case 0:
    case 1:
      t.size_bytes = want;
      break;
    case 2:
      t.size_bytes =
          want - std::min<size_t>(want, fdp.ConsumeIntegral<uint8_t>());
      break;
    default:
      t.size_bytes = fdp.ConsumeIntegralInRange<size_t>(0, kMaxBuffer);
      break;
    }
    // The caller's promise is that `data` holds `size_bytes`: keep it true,
    // since breaking it tests the caller, not the runtime.
    if (t.size_bytes > kMaxBuffer)
      t.size_bytes = kMaxBuffer;
    int where = fdp.ConsumeIntegralInRange(0, 9);
    if (where == 0) {
      t.data = nullptr;
    } else if (where == 1 && !call.tensors.empty()) {
      // Alias an earlier tensor's buffer.
      const qc_tensor_t &other =
          call.tensors[fdp.ConsumeIntegralInRange<size_t>(
              0, call.tensors.size() - 1)];
      t.data = other.data;
      t.size_bytes = other.data ? other.size_bytes : 0;
    } else {
      // Not zeroed: the runtime must not read it, the model may.
      std::unique_ptr<uint8_t[]> buffer(new uint8_t[t.size_bytes]);
      t.data = buffer.get();
      call.buffers.push_back(std::move(buffer));
    }
    call.tensors.push_back(t);
  }
}

void fuzzRun(FuzzedDataProvider &fdp, const qc_model_t *model,
             const qc_signature_t &sig) {
  Call inputs, outputs;
  makeTensors(fdp, sig, 0, sig.num_inputs, inputs);
  makeTensors(fdp, sig, sig.num_inputs, sig.num_outputs, outputs);
  // Occasionally a NULL array with a non-zero count.
  const qc_tensor_t *in = inputs.tensors.data();
  size_t numIn = inputs.tensors.size();
  if (numIn == 0 && fdp.ConsumeBool())
    numIn = fdp.ConsumeIntegralInRange<size_t>(0, 3), in = nullptr;
  invokeCalls = 0;
  currentSig = &sig;
  qc_status_t status = qc_model_run(model, in, numIn, outputs.tensors.data(),
                                    outputs.tensors.size());
  if (status == QC_OK && invokeCalls != 1)
    finding("qc_model_run succeeded without invoking the model once");
  if (status != QC_OK && invokeCalls != 0)
    finding("qc_model_run failed after invoking the model");
  if (status != QC_OK && !*qc_last_error())
    finding("qc_model_run failed without a message");
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  void *lib = dlopen(QC_FUZZ_MODEL, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    std::fprintf(stderr, "cannot load %s: %s\n", QC_FUZZ_MODEL, dlerror());
    std::abort();
  }
  void *a = dlsym(lib, "qc_fuzz_set_signature");
  void *b = dlsym(lib, "qc_fuzz_set_invoke");
  if (!a || !b)
    finding("the fuzz model lacks its setters");
  std::memcpy(&setSignature, &a, sizeof(a));
  std::memcpy(&setInvoke, &b, sizeof(b));
  setInvoke(invokeHook);
  // The library stays loaded (this handle is never closed), so
  // qc_model_open() finds the same copy with the same setters applied.
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const auto *nul = static_cast<const uint8_t *>(std::memchr(data, 0, size));
  size_t textLen = nul ? size_t(nul - data) : size;
  std::string text(reinterpret_cast<const char *>(data), textLen);
  FuzzedDataProvider fdp(data + textLen + (nul ? 1 : 0),
                         size - textLen - (nul ? 1 : 0));

  qc_signature_t sig;
  char err[1024] = "";
  qc_status_t parsed = qc_internal_signature_parse(text.c_str(), text.size(),
                                                   &sig, err, sizeof(err));
  if (parsed == QC_OK)
    checkParsed(sig);
  else if (!err[0])
    finding("signature rejected without a message");

  setSignature(text.c_str());
  qc_model_t *model = nullptr;
  qc_status_t opened = qc_model_open(QC_FUZZ_MODEL, &model);
  if ((parsed == QC_OK) != (opened == QC_OK))
    finding("qc_model_open and the signature parser disagree");
  if (opened != QC_OK) {
    if (model || !*qc_last_error())
      finding("qc_model_open failed without a message or left a handle");
    qc_internal_signature_free(&sig);
    return 0;
  }

  // Introspection reports what was parsed, and checks its indices.
  if (qc_model_num_inputs(model) != sig.num_inputs ||
      qc_model_num_outputs(model) != sig.num_outputs ||
      std::strcmp(qc_model_name(model), sig.model_name) != 0)
    finding("introspection disagrees with the signature");
  for (size_t i = 0; i < sig.num_inputs + sig.num_outputs + 1; ++i) {
    qc_tensor_info_t info;
    bool isInput = i < sig.num_inputs;
    size_t index = isInput ? i : i - sig.num_inputs;
    qc_status_t st = isInput ? qc_model_input_info(model, index, &info)
                             : qc_model_output_info(model, index, &info);
    bool inRange = i < sig.num_inputs + sig.num_outputs;
    if ((st == QC_OK) != inRange)
      finding("tensor info index check is wrong");
    if (st == QC_OK && (std::strcmp(info.name, sig.tensors[i].name) != 0 ||
                        info.dtype != sig.tensors[i].dtype ||
                        info.rank != sig.tensors[i].rank))
      finding("tensor info disagrees with the signature");
  }

  for (int run = 0; run < 4 && fdp.remaining_bytes() > 0; ++run)
    fuzzRun(fdp, model, sig);
  qc_model_close(model);
  qc_internal_signature_free(&sig);
  return 0;
}
