//===- npz_fuzzer.cpp - libFuzzer target: the .npy/.npz reader -----------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Parses every input both as a .npy file and as a .npz archive. Besides
// memory errors, a finding is a parse that fails without a message, an
// array whose byte count disagrees with its shape, or an array that does not
// survive being written back and read again unchanged.
//
//===----------------------------------------------------------------------===//

#include "qc/Support/Npz.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace mlir::qc;

[[noreturn]] static void finding(const char *what) {
  std::fprintf(stderr, "npz_fuzzer: %s\n", what);
  std::abort();
}

static void checkArray(const npz::Array &a) {
  if (a.data.size() != a.numElements() * qc_dtype_size(a.dtype))
    finding("array bytes disagree with its shape");
}

static bool sameArray(const npz::Array &a, const npz::Array &b) {
  return a.dtype == b.dtype && a.shape == b.shape && a.data == b.data;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string error;
  npz::Array array;
  if (npz::parseNpy(data, size, array, error)) {
    checkArray(array);
    std::vector<uint8_t> encoded;
    std::string encodeError;
    // Arrays NumPy has no dtype for cannot be written; all others must
    // round-trip.
    if (npz::encodeNpy(npz::viewOf("", array), encoded, encodeError)) {
      npz::Array again;
      if (!npz::parseNpy(encoded.data(), encoded.size(), again, encodeError) ||
          !sameArray(array, again))
        finding(".npy round trip changed the array");
    }
  } else if (error.empty()) {
    finding("parseNpy failed without a message");
  }

  error.clear();
  std::vector<npz::NamedArray> arrays;
  if (npz::parseNpz(data, size, arrays, error)) {
    std::vector<npz::ArrayView> views;
    for (const npz::NamedArray &entry : arrays) {
      checkArray(entry.array);
      views.push_back(npz::viewOf(entry.name, entry.array));
    }
    std::vector<uint8_t> encoded;
    std::string encodeError;
    if (npz::encodeNpz(views, encoded, encodeError)) {
      std::vector<npz::NamedArray> again;
      if (!npz::parseNpz(encoded.data(), encoded.size(), again, encodeError) ||
          again.size() != arrays.size())
        finding(".npz round trip failed");
      for (size_t i = 0; i < arrays.size(); ++i)
        if (again[i].name != arrays[i].name ||
            !sameArray(again[i].array, arrays[i].array))
          finding(".npz round trip changed an entry");
    }
  } else if (error.empty()) {
    finding("parseNpz failed without a message");
  }
  return 0;
}
