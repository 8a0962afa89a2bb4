//===- Npz.h - Reading and writing NumPy .npy and .npz files ----*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Plain C++17 (no LLVM/MLIR) reader and writer for NumPy's .npy arrays and
// .npz archives (zip files of .npy entries), used by qc-run and the tests.
//
// Reading accepts .npy format versions 1.0, 2.0 and 3.0 with a little-endian
// (or byte-sized) numeric dtype in C order, including 0-d and empty arrays,
// and .npz archives whose entries are stored or deflate-compressed (both
// np.savez and np.savez_compressed). Writing produces np.savez-compatible
// uncompressed archives (no zip64, so at most 4 GiB) and version 1.0/2.0
// .npy files.
//
// Every input is treated as untrusted: sizes, header lengths, shapes and
// checksums are checked against the file itself, so truncated or corrupt
// files produce an error message rather than a crash or an allocation larger
// than the data actually present. Nothing here throws; functions return false
// and describe the problem in `error`.
//
//===----------------------------------------------------------------------===//

#ifndef QC_SUPPORT_NPZ_H
#define QC_SUPPORT_NPZ_H

#include "qc/qc_runtime.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mlir::qc::npz {

/// An array read from a file: dtype, C-order shape and the raw little-endian
/// element bytes (exactly numElements() * qc_dtype_size(dtype) of them).
struct Array {
  qc_dtype_t dtype = QC_DTYPE_UNDEFINED;
  std::vector<int64_t> shape; ///< empty for a 0-d array
  std::vector<uint8_t> data;

  /// The product of the dimensions (1 for a 0-d array).
  size_t numElements() const;
};

/// One entry of an .npz archive; `name` has no ".npy" suffix.
struct NamedArray {
  std::string name;
  Array array;
};

/// An array to be written. It does not own `data`, which must hold at least
/// numElements * qc_dtype_size(dtype) bytes; only those are written.
struct ArrayView {
  std::string name; ///< the .npz key ("x" is stored as "x.npy"); unused
                    ///< for a single .npy file
  qc_dtype_t dtype = QC_DTYPE_UNDEFINED;
  std::vector<int64_t> shape;
  const void *data = nullptr;
  size_t sizeBytes = 0;
};

/// A view of `array` named `name`.
ArrayView viewOf(const std::string &name, const Array &array);

/// The .npy descriptor NumPy writes for `dtype` ("<f4", "|u1", ...), or
/// nullptr if NumPy has no such dtype (bfloat16, float8 types).
const char *npyDescr(qc_dtype_t dtype);

/// The dtype for a .npy descriptor, or QC_DTYPE_UNDEFINED if unsupported.
/// Accepts the spellings NumPy writes plus "<u1", "<i1", "<b1" and the
/// equivalent "=" and ">" spellings of one-byte types.
qc_dtype_t dtypeFromDescr(const std::string &descr);

/// Parses an in-memory .npy file.
bool parseNpy(const uint8_t *data, size_t size, Array &out, std::string &error);

/// Parses an in-memory .npz archive. Entries keep their order in the
/// archive. Every entry must be a .npy array; names must be unique.
bool parseNpz(const uint8_t *data, size_t size, std::vector<NamedArray> &out,
              std::string &error);

/// Reads a .npy file. Messages start with the path.
bool readNpy(const std::string &path, Array &out, std::string &error);

/// Reads a .npz file. Messages start with the path.
bool readNpz(const std::string &path, std::vector<NamedArray> &out,
             std::string &error);

/// Encodes one array as a .npy file in memory.
bool encodeNpy(const ArrayView &array, std::vector<uint8_t> &out,
               std::string &error);

/// Encodes arrays as an uncompressed .npz archive in memory.
bool encodeNpz(const std::vector<ArrayView> &arrays, std::vector<uint8_t> &out,
               std::string &error);

/// Writes one array to a .npy file. On failure no partial file is left.
bool writeNpy(const std::string &path, const ArrayView &array,
              std::string &error);

/// Writes arrays to an uncompressed .npz file, as np.savez does. Fails
/// cleanly, before writing anything, if the archive would exceed the 4 GiB
/// that a zip file without zip64 extensions can hold. On failure no partial
/// file is left.
bool writeNpz(const std::string &path, const std::vector<ArrayView> &arrays,
              std::string &error);

} // namespace mlir::qc::npz

#endif // QC_SUPPORT_NPZ_H
