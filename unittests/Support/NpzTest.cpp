//===- NpzTest.cpp - Tests of the .npy/.npz reader and writer -------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Files under Inputs/ were written by NumPy (make_npz_fixtures.py); the
// expected values here mirror the formulas there.
//
//===----------------------------------------------------------------------===//

#include "qc/Support/Npz.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

#ifndef QC_NPZ_INPUTS_DIR
#error "QC_NPZ_INPUTS_DIR must name the directory of the fixture files"
#endif

using namespace mlir::qc::npz;

namespace {

std::string inputPath(const std::string &name) {
  return std::string(QC_NPZ_INPUTS_DIR) + "/" + name;
}

std::vector<uint8_t> readBytes(const std::string &path) {
  std::vector<uint8_t> bytes;
  FILE *f = std::fopen(path.c_str(), "rb");
  if (!f)
    return bytes;
  uint8_t buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0)
    bytes.insert(bytes.end(), buf, buf + n);
  std::fclose(f);
  return bytes;
}

/// A fresh path in the test's temporary directory.
std::string tempPath(const std::string &name) {
  static int counter = 0;
  return ::testing::TempDir() + "qc_npz_test_" + std::to_string(getpid()) +
         "_" + std::to_string(counter++) + "_" + name;
}

bool fileExists(const std::string &path) {
  FILE *f = std::fopen(path.c_str(), "rb");
  if (f)
    std::fclose(f);
  return f != nullptr;
}

/// Every dtype with a NumPy equivalent, with its size and descriptor.
struct DtypeCase {
  qc_dtype_t dtype;
  size_t size;
  const char *descr;
};

const DtypeCase kNpyDtypes[] = {
    {QC_DTYPE_FLOAT32, 4, "<f4"}, {QC_DTYPE_FLOAT64, 8, "<f8"},
    {QC_DTYPE_FLOAT16, 2, "<f2"}, {QC_DTYPE_UINT8, 1, "|u1"},
    {QC_DTYPE_INT8, 1, "|i1"},    {QC_DTYPE_UINT16, 2, "<u2"},
    {QC_DTYPE_INT16, 2, "<i2"},   {QC_DTYPE_UINT32, 4, "<u4"},
    {QC_DTYPE_INT32, 4, "<i4"},   {QC_DTYPE_UINT64, 8, "<u8"},
    {QC_DTYPE_INT64, 8, "<i8"},   {QC_DTYPE_BOOL, 1, "|b1"},
};

/// An array of `shape` whose bytes follow a pattern (0/1 for bool).
Array patterned(qc_dtype_t dtype, size_t elemSize, std::vector<int64_t> shape,
                unsigned seed) {
  Array a;
  a.dtype = dtype;
  a.shape = std::move(shape);
  a.data.resize(a.numElements() * elemSize);
  for (size_t i = 0; i < a.data.size(); ++i)
    a.data[i] = dtype == QC_DTYPE_BOOL ? uint8_t((i + seed) % 2)
                                       : uint8_t(i * 31 + seed * 7 + 1);
  return a;
}

void expectSame(const Array &a, const Array &b) {
  EXPECT_EQ(a.dtype, b.dtype);
  EXPECT_EQ(a.shape, b.shape);
  EXPECT_EQ(a.data, b.data);
}

template <typename T> std::vector<T> values(const Array &a) {
  std::vector<T> v(a.data.size() / sizeof(T));
  if (!v.empty())
    std::memcpy(v.data(), a.data.data(), v.size() * sizeof(T));
  return v;
}

const NamedArray *find(const std::vector<NamedArray> &arrays,
                       const std::string &name) {
  for (const NamedArray &a : arrays)
    if (a.name == name)
      return &a;
  return nullptr;
}

//===----------------------------------------------------------------------===//
// Dtype descriptors
//===----------------------------------------------------------------------===//

TEST(NpzTest, DescrMapping) {
  for (const DtypeCase &c : kNpyDtypes) {
    ASSERT_NE(npyDescr(c.dtype), nullptr) << c.descr;
    EXPECT_STREQ(npyDescr(c.dtype), c.descr);
    EXPECT_EQ(dtypeFromDescr(c.descr), c.dtype) << c.descr;
  }
  EXPECT_EQ(dtypeFromDescr("<u1"), QC_DTYPE_UINT8);
  EXPECT_EQ(dtypeFromDescr("|u1"), QC_DTYPE_UINT8);
  EXPECT_EQ(dtypeFromDescr("<i1"), QC_DTYPE_INT8);
  EXPECT_EQ(dtypeFromDescr("<b1"), QC_DTYPE_BOOL);
  EXPECT_EQ(dtypeFromDescr(">u1"), QC_DTYPE_UINT8);
  EXPECT_EQ(dtypeFromDescr(">f4"), QC_DTYPE_UNDEFINED);
  EXPECT_EQ(dtypeFromDescr("|f4"), QC_DTYPE_UNDEFINED);
  EXPECT_EQ(dtypeFromDescr("=f4"), QC_DTYPE_UNDEFINED);
  EXPECT_EQ(dtypeFromDescr("<U3"), QC_DTYPE_UNDEFINED);
  EXPECT_EQ(dtypeFromDescr("<c8"), QC_DTYPE_UNDEFINED);
  EXPECT_EQ(dtypeFromDescr("O"), QC_DTYPE_UNDEFINED);
  EXPECT_EQ(dtypeFromDescr(""), QC_DTYPE_UNDEFINED);
  EXPECT_EQ(dtypeFromDescr("<f4 "), QC_DTYPE_UNDEFINED);
  EXPECT_EQ(npyDescr(QC_DTYPE_BFLOAT16), nullptr);
  EXPECT_EQ(npyDescr(QC_DTYPE_FLOAT8E4M3FN), nullptr);
  EXPECT_EQ(npyDescr(QC_DTYPE_FLOAT8E5M2), nullptr);
  EXPECT_EQ(npyDescr(QC_DTYPE_UNDEFINED), nullptr);
}

//===----------------------------------------------------------------------===//
// Round trips
//===----------------------------------------------------------------------===//

TEST(NpzTest, NpyRoundTripEveryDtype) {
  for (const DtypeCase &c : kNpyDtypes) {
    SCOPED_TRACE(c.descr);
    Array a = patterned(c.dtype, c.size, {2, 3}, 1);
    std::vector<uint8_t> bytes;
    std::string error;
    ASSERT_TRUE(encodeNpy(viewOf("", a), bytes, error)) << error;
    // The header says what NumPy would, and the data is 64-byte aligned.
    std::string text(bytes.begin(), bytes.end());
    EXPECT_EQ(text.compare(0, 8, std::string("\x93NUMPY\x01\x00", 8)), 0);
    EXPECT_NE(text.find(std::string("{'descr': '") + c.descr +
                        "', 'fortran_order': False, 'shape': (2, 3), }"),
              std::string::npos);
    EXPECT_EQ((bytes.size() - a.data.size()) % 64, 0u);
    Array b;
    ASSERT_TRUE(parseNpy(bytes.data(), bytes.size(), b, error)) << error;
    expectSame(a, b);
  }
}

TEST(NpzTest, NpzRoundTripEveryDtype) {
  std::vector<Array> arrays;
  std::vector<ArrayView> views;
  for (const DtypeCase &c : kNpyDtypes)
    arrays.push_back(patterned(c.dtype, c.size, {3, 1, 2}, unsigned(c.size)));
  for (size_t i = 0; i < arrays.size(); ++i)
    views.push_back(viewOf(kNpyDtypes[i].descr + 1, arrays[i]));

  std::vector<uint8_t> bytes;
  std::string error;
  ASSERT_TRUE(encodeNpz(views, bytes, error)) << error;
  std::vector<NamedArray> back;
  ASSERT_TRUE(parseNpz(bytes.data(), bytes.size(), back, error)) << error;
  ASSERT_EQ(back.size(), arrays.size());
  for (size_t i = 0; i < arrays.size(); ++i) {
    SCOPED_TRACE(kNpyDtypes[i].descr);
    EXPECT_EQ(back[i].name, kNpyDtypes[i].descr + 1); // order is kept
    expectSame(arrays[i], back[i].array);
  }

  // Through a file too.
  std::string path = tempPath("all.npz");
  ASSERT_TRUE(writeNpz(path, views, error)) << error;
  std::vector<NamedArray> fromFile;
  ASSERT_TRUE(readNpz(path, fromFile, error)) << error;
  ASSERT_EQ(fromFile.size(), arrays.size());
  for (size_t i = 0; i < arrays.size(); ++i)
    expectSame(arrays[i], fromFile[i].array);
  EXPECT_EQ(readBytes(path), bytes);
  std::remove(path.c_str());
}

TEST(NpzTest, ZeroDimensionalAndEmptyArrays) {
  Array scalar = patterned(QC_DTYPE_FLOAT64, 8, {}, 3);
  Array empty2 = patterned(QC_DTYPE_INT32, 4, {0, 3}, 0);
  Array empty3 = patterned(QC_DTYPE_UINT8, 1, {3, 0, 2}, 0);
  Array empty1 = patterned(QC_DTYPE_BOOL, 1, {0}, 0);
  EXPECT_EQ(scalar.numElements(), 1u);
  EXPECT_EQ(scalar.data.size(), 8u);
  EXPECT_EQ(empty2.numElements(), 0u);
  EXPECT_TRUE(empty3.data.empty());

  std::string error;
  for (const Array *a : {&scalar, &empty2, &empty3, &empty1}) {
    std::vector<uint8_t> bytes;
    ASSERT_TRUE(encodeNpy(viewOf("", *a), bytes, error)) << error;
    Array b;
    ASSERT_TRUE(parseNpy(bytes.data(), bytes.size(), b, error)) << error;
    expectSame(*a, b);
  }
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(encodeNpy(viewOf("", scalar), bytes, error));
  EXPECT_NE(std::string(bytes.begin(), bytes.end()).find("'shape': (), }"),
            std::string::npos);
  ASSERT_TRUE(encodeNpy(viewOf("", empty1), bytes, error));
  EXPECT_NE(std::string(bytes.begin(), bytes.end()).find("'shape': (0,), }"),
            std::string::npos);

  std::vector<ArrayView> views = {viewOf("s", scalar), viewOf("e2", empty2),
                                  viewOf("e3", empty3), viewOf("e1", empty1)};
  ASSERT_TRUE(encodeNpz(views, bytes, error)) << error;
  std::vector<NamedArray> back;
  ASSERT_TRUE(parseNpz(bytes.data(), bytes.size(), back, error)) << error;
  ASSERT_EQ(back.size(), 4u);
  expectSame(back[0].array, scalar);
  expectSame(back[1].array, empty2);
  expectSame(back[2].array, empty3);
  expectSame(back[3].array, empty1);

  // An archive with no arrays at all.
  ASSERT_TRUE(encodeNpz({}, bytes, error)) << error;
  EXPECT_EQ(bytes.size(), 22u);
  ASSERT_TRUE(parseNpz(bytes.data(), bytes.size(), back, error)) << error;
  EXPECT_TRUE(back.empty());
}

TEST(NpzTest, NamesAreKeptVerbatim) {
  Array a = patterned(QC_DTYPE_INT8, 1, {2}, 0);
  std::vector<ArrayView> views = {viewOf("input:0", a), viewOf("a/b c", a),
                                  viewOf("caf\xc3\xa9", a), viewOf("", a)};
  std::vector<uint8_t> bytes;
  std::string error;
  ASSERT_TRUE(encodeNpz(views, bytes, error)) << error;
  std::vector<NamedArray> back;
  ASSERT_TRUE(parseNpz(bytes.data(), bytes.size(), back, error)) << error;
  ASSERT_EQ(back.size(), 4u);
  EXPECT_EQ(back[0].name, "input:0");
  EXPECT_EQ(back[1].name, "a/b c");
  EXPECT_EQ(back[2].name, "caf\xc3\xa9");
  EXPECT_EQ(back[3].name, "");
}

TEST(NpzTest, MaxRank) {
  // Up to 64 dimensions are supported, and their header fits version 1.0.
  Array a;
  a.dtype = QC_DTYPE_UINT8;
  a.shape.assign(64, 1);
  a.data.assign(1, 42);
  std::vector<uint8_t> bytes;
  std::string error;
  ASSERT_TRUE(encodeNpy(viewOf("", a), bytes, error)) << error;
  EXPECT_EQ(bytes[6], 1);
  Array b;
  ASSERT_TRUE(parseNpy(bytes.data(), bytes.size(), b, error)) << error;
  expectSame(a, b);
  a.shape.assign(65, 1);
  EXPECT_FALSE(encodeNpy(viewOf("", a), bytes, error));
  EXPECT_NE(error.find("more than 64 dimensions"), std::string::npos) << error;
}

//===----------------------------------------------------------------------===//
// Files written by NumPy
//===----------------------------------------------------------------------===//

void checkAllDtypes(const std::vector<NamedArray> &arrays) {
  ASSERT_EQ(arrays.size(), 14u);
  const NamedArray *a = find(arrays, "f4");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->array.dtype, QC_DTYPE_FLOAT32);
  EXPECT_EQ(a->array.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(values<float>(a->array),
            (std::vector<float>{-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f}));

  a = find(arrays, "f8");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->array.dtype, QC_DTYPE_FLOAT64);
  EXPECT_EQ(a->array.shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(values<double>(a->array),
            (std::vector<double>{0, 0.25, 0.5, 0.75, 1.0, 1.25}));

  a = find(arrays, "f2"); // -1.5, -0.5, 0.5, 1.5 as IEEE half
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->array.dtype, QC_DTYPE_FLOAT16);
  EXPECT_EQ(values<uint16_t>(a->array),
            (std::vector<uint16_t>{0xBE00, 0xB800, 0x3800, 0x3E00}));

  a = find(arrays, "u1");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->array.dtype, QC_DTYPE_UINT8);
  EXPECT_EQ(values<uint8_t>(a->array),
            (std::vector<uint8_t>{250, 251, 252, 253, 254, 255}));

  a = find(arrays, "i1");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->array.dtype, QC_DTYPE_INT8);
  EXPECT_EQ(values<int8_t>(a->array),
            (std::vector<int8_t>{-3, -2, -1, 0, 1, 2}));

  a = find(arrays, "u2");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->array.dtype, QC_DTYPE_UINT16);
  EXPECT_EQ(values<uint16_t>(a->array), (std::vector<uint16_t>{0, 1, 65535}));

  a = find(arrays, "i2");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->array.dtype, QC_DTYPE_INT16);
  EXPECT_EQ(values<int16_t>(a->array),
            (std::vector<int16_t>{-32768, 0, 32767}));

  a = find(arrays, "u4");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->array.dtype, QC_DTYPE_UINT32);
  EXPECT_EQ(values<uint32_t>(a->array),
            (std::vector<uint32_t>{0, 4294967295u}));

  a = find(arrays, "i4");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->array.dtype, QC_DTYPE_INT32);
  EXPECT_EQ(a->array.shape, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(values<int32_t>(a->array),
            (std::vector<int32_t>{INT32_MIN, INT32_MAX}));

  a = find(arrays, "u8");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->array.dtype, QC_DTYPE_UINT64);
  EXPECT_EQ(values<uint64_t>(a->array), (std::vector<uint64_t>{0, UINT64_MAX}));

  a = find(arrays, "i8");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->array.dtype, QC_DTYPE_INT64);
  EXPECT_EQ(values<int64_t>(a->array),
            (std::vector<int64_t>{INT64_MIN, INT64_MAX}));

  a = find(arrays, "b1");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->array.dtype, QC_DTYPE_BOOL);
  EXPECT_EQ(values<uint8_t>(a->array), (std::vector<uint8_t>{1, 0, 0, 1}));

  a = find(arrays, "scalar");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->array.dtype, QC_DTYPE_FLOAT32);
  EXPECT_TRUE(a->array.shape.empty());
  EXPECT_EQ(values<float>(a->array), (std::vector<float>{7.5f}));

  a = find(arrays, "empty");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->array.shape, (std::vector<int64_t>{0, 3}));
  EXPECT_TRUE(a->array.data.empty());
}

TEST(NpzTest, ReadsNumpySavez) {
  std::vector<NamedArray> arrays;
  std::string error;
  ASSERT_TRUE(readNpz(inputPath("all_dtypes.npz"), arrays, error)) << error;
  checkAllDtypes(arrays);
}

TEST(NpzTest, ReadsNumpySavezCompressed) {
  std::vector<NamedArray> arrays;
  std::string error;
  ASSERT_TRUE(readNpz(inputPath("all_dtypes_compressed.npz"), arrays, error))
      << error;
  checkAllDtypes(arrays);
}

TEST(NpzTest, ReadsPositionalNames) {
  std::vector<NamedArray> arrays;
  std::string error;
  ASSERT_TRUE(readNpz(inputPath("positional.npz"), arrays, error)) << error;
  ASSERT_EQ(arrays.size(), 2u);
  EXPECT_EQ(arrays[0].name, "arr_0");
  EXPECT_EQ(values<int32_t>(arrays[0].array), (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(arrays[1].name, "arr_1");
  EXPECT_TRUE(arrays[1].array.shape.empty());
  EXPECT_EQ(values<double>(arrays[1].array), (std::vector<double>{2.0}));
}

TEST(NpzTest, ReadsStreamedArchives) {
  // Data descriptors after each entry; sizes only in the central directory.
  std::vector<NamedArray> arrays;
  std::string error;
  ASSERT_TRUE(readNpz(inputPath("streamed.npz"), arrays, error)) << error;
  ASSERT_EQ(arrays.size(), 2u);
  EXPECT_EQ(arrays[0].name, "a");
  EXPECT_EQ(values<int32_t>(arrays[0].array),
            (std::vector<int32_t>{INT32_MIN, INT32_MAX}));
  EXPECT_EQ(arrays[1].name, "b");
  EXPECT_EQ(values<uint16_t>(arrays[1].array),
            (std::vector<uint16_t>{0xBE00, 0xB800, 0x3800, 0x3E00}));
}

TEST(NpzTest, ReadsArchiveWithComment) {
  std::vector<NamedArray> arrays;
  std::string error;
  ASSERT_TRUE(readNpz(inputPath("comment.npz"), arrays, error)) << error;
  ASSERT_EQ(arrays.size(), 1u);
  EXPECT_EQ(arrays[0].name, "a");
  EXPECT_EQ(arrays[0].array.shape, (std::vector<int64_t>{2, 1}));
}

TEST(NpzTest, ReadsNpyVersions) {
  for (const char *name : {"v1.npy", "v2.npy", "v3.npy"}) {
    SCOPED_TRACE(name);
    Array a;
    std::string error;
    ASSERT_TRUE(readNpy(inputPath(name), a, error)) << error;
    EXPECT_EQ(a.dtype, QC_DTYPE_FLOAT32);
    EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(values<float>(a),
              (std::vector<float>{-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f}));
  }
}

//===----------------------------------------------------------------------===//
// Rejections
//===----------------------------------------------------------------------===//

/// Expects reading `name` to fail with a message containing `what`.
void expectNpyError(const std::string &name, const std::string &what) {
  SCOPED_TRACE(name);
  Array a;
  std::string error;
  EXPECT_FALSE(readNpy(inputPath(name), a, error));
  EXPECT_NE(error.find(what), std::string::npos) << error;
  EXPECT_EQ(error.find(inputPath(name)), 0u) << error; // names the file
}

void expectNpzError(const std::string &name, const std::string &what) {
  SCOPED_TRACE(name);
  std::vector<NamedArray> arrays;
  std::string error;
  EXPECT_FALSE(readNpz(inputPath(name), arrays, error));
  EXPECT_TRUE(arrays.empty());
  EXPECT_NE(error.find(what), std::string::npos) << error;
}

TEST(NpzTest, RejectsFortranOrder) {
  expectNpyError("fortran.npy", "Fortran order (fortran_order: True) are not "
                                "supported");
}

TEST(NpzTest, RejectsUnsupportedDtypes) {
  expectNpyError("big_endian.npy", "big-endian dtype '>f4' is not supported");
  expectNpyError("unicode.npy", "unsupported dtype '<U2'");
  expectNpyError("complex.npy", "unsupported dtype '<c8'");
  expectNpyError("structured.npy", "structured (record) dtypes");
  expectNpyError("bad_bool.npy", "bool array holds the byte value 2 at "
                                 "element 1");
}

TEST(NpzTest, RejectsBadArchives) {
  expectNpzError("duplicate.npz", "two arrays named 'x'");
  expectNpzError("not_npy_entry.npz", "entry 'notes.txt': not a .npy file");
  expectNpzError("bzip2.npz", "compression method 12");
  expectNpzError("v1.npy", "this is a .npy file, not a .npz archive");
  expectNpzError("does-not-exist.npz", "No such file or directory");

  Array a;
  std::string error;
  EXPECT_FALSE(readNpy(inputPath("all_dtypes.npz"), a, error));
  EXPECT_NE(error.find("not a .npy file"), std::string::npos) << error;
  EXPECT_FALSE(readNpy(QC_NPZ_INPUTS_DIR, a, error)); // a directory
  EXPECT_EQ(error.find(QC_NPZ_INPUTS_DIR), 0u) << error;
}

/// Every proper prefix of a valid file is rejected cleanly.
TEST(NpzTest, EveryTruncationFails) {
  for (const char *name : {"all_dtypes.npz", "all_dtypes_compressed.npz",
                           "positional.npz", "streamed.npz", "comment.npz"}) {
    SCOPED_TRACE(name);
    std::vector<uint8_t> bytes = readBytes(inputPath(name));
    ASSERT_FALSE(bytes.empty());
    std::vector<NamedArray> arrays;
    std::string error;
    ASSERT_TRUE(parseNpz(bytes.data(), bytes.size(), arrays, error)) << error;
    for (size_t n = 0; n < bytes.size(); ++n) {
      // A fresh copy of exactly n bytes, so that ASan sees any overread.
      std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + n);
      error.clear();
      EXPECT_FALSE(parseNpz(prefix.data(), n, arrays, error)) << "n = " << n;
      EXPECT_FALSE(error.empty()) << "n = " << n;
      EXPECT_TRUE(arrays.empty());
    }
  }
  for (const char *name : {"v1.npy", "v2.npy", "v3.npy"}) {
    SCOPED_TRACE(name);
    std::vector<uint8_t> bytes = readBytes(inputPath(name));
    ASSERT_FALSE(bytes.empty());
    for (size_t n = 0; n < bytes.size(); ++n) {
      std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + n);
      Array a;
      std::string error;
      EXPECT_FALSE(parseNpy(prefix.data(), n, a, error)) << "n = " << n;
      EXPECT_FALSE(error.empty()) << "n = " << n;
    }
  }
}

/// Flipping bytes anywhere never crashes; flips in array data or sizes are
/// caught (by the CRC, for archives).
TEST(NpzTest, CorruptionNeverCrashes) {
  for (const char *name : {"all_dtypes.npz", "all_dtypes_compressed.npz"}) {
    SCOPED_TRACE(name);
    std::vector<uint8_t> bytes = readBytes(inputPath(name));
    ASSERT_FALSE(bytes.empty());
    int rejected = 0;
    for (size_t i = 0; i < bytes.size(); ++i) {
      for (uint8_t flip : {0x01, 0x80, 0xff}) {
        std::vector<uint8_t> copy = bytes;
        copy[i] ^= flip;
        std::vector<NamedArray> arrays;
        std::string error;
        if (!parseNpz(copy.data(), copy.size(), arrays, error)) {
          EXPECT_FALSE(error.empty());
          ++rejected;
        }
      }
    }
    EXPECT_GT(rejected, int(bytes.size()));
  }
  std::vector<uint8_t> bytes = readBytes(inputPath("v1.npy"));
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (uint8_t flip : {0x01, 0x80, 0xff}) {
      std::vector<uint8_t> copy = bytes;
      copy[i] ^= flip;
      Array a;
      std::string error;
      if (!parseNpy(copy.data(), copy.size(), a, error)) {
        EXPECT_FALSE(error.empty());
      }
    }
  }
}

/// A .npy file with the given header dict text and `dataBytes` data bytes.
std::vector<uint8_t> npyWithHeader(const std::string &dict, size_t dataBytes) {
  std::string h = dict + "\n";
  std::string file("\x93NUMPY\x01\x00", 8);
  file += char(h.size() & 0xff);
  file += char(h.size() >> 8);
  file += h;
  file.append(dataBytes, '\0');
  return std::vector<uint8_t>(file.begin(), file.end());
}

std::string npyError(const std::vector<uint8_t> &bytes) {
  Array a;
  std::string error;
  EXPECT_FALSE(parseNpy(bytes.data(), bytes.size(), a, error));
  return error;
}

TEST(NpzTest, RejectsLyingNpyHeaders) {
  const std::string f4 = "{'descr': '<f4', 'fortran_order': False, ";
  // Sanity: the helper makes valid files.
  {
    Array a;
    std::string error;
    auto ok = npyWithHeader(f4 + "'shape': (2, 3), }", 24);
    EXPECT_TRUE(parseNpy(ok.data(), ok.size(), a, error)) << error;
    ok = npyWithHeader("{\"shape\": (3,), \"fortran_order\": False, "
                       "\"descr\": \"|u1\"}",
                       3);
    EXPECT_TRUE(parseNpy(ok.data(), ok.size(), a, error)) << error;
    ok = npyWithHeader(f4 + "'shape': (2L, 3L), }", 24); // Python 2
    EXPECT_TRUE(parseNpy(ok.data(), ok.size(), a, error)) << error;
  }
  EXPECT_NE(npyError(npyWithHeader(f4 + "'shape': (1000000000000,), }", 16))
                .find("needs 4000000000000 bytes of data but only 16 are "
                      "present"),
            std::string::npos);
  EXPECT_NE(npyError(npyWithHeader(f4 + "'shape': (1099511627776, "
                                        "1099511627776), }",
                                   0))
                .find("has too many elements"),
            std::string::npos);
  EXPECT_NE(
      npyError(npyWithHeader(f4 + "'shape': (99999999999999999999,), }", 0))
          .find("too large"),
      std::string::npos);
  EXPECT_NE(npyError(npyWithHeader(f4 + "'shape': (-1,), }", 0))
                .find("negative dimension"),
            std::string::npos);
  EXPECT_NE(npyError(npyWithHeader(f4 + "'shape': (2, 3), }", 28))
                .find("4 unexpected bytes after"),
            std::string::npos);
  EXPECT_NE(npyError(npyWithHeader(f4 + "'shape': (3), }", 12))
                .find("trailing comma"),
            std::string::npos);
  EXPECT_NE(npyError(npyWithHeader(f4 + "}", 0)).find("missing 'shape'"),
            std::string::npos);
  EXPECT_NE(npyError(npyWithHeader(f4 + "'shape': (), 'x': 1}", 4))
                .find("unexpected key 'x'"),
            std::string::npos);
  EXPECT_NE(npyError(npyWithHeader(f4 + "'shape': (), 'descr': '<f4'}", 4))
                .find("'descr' appears twice"),
            std::string::npos);
  EXPECT_NE(npyError(npyWithHeader(f4 + "'shape': ()} junk", 4))
                .find("unexpected text after the closing '}'"),
            std::string::npos);
  EXPECT_NE(npyError(npyWithHeader("{'descr': '<f4', 'fortran_order': 0, "
                                   "'shape': ()}",
                                   4))
                .find("expected True or False"),
            std::string::npos);
  EXPECT_NE(npyError(npyWithHeader("{'descr': '<f4', 'fortran_order': False, "
                                   "'shape': ()",
                                   4))
                .find("expected ',' or '}'"),
            std::string::npos);

  // Header length larger than the file.
  std::vector<uint8_t> bytes = npyWithHeader(f4 + "'shape': (), }", 4);
  bytes[8] = 0xff;
  bytes[9] = 0xff;
  EXPECT_NE(npyError(bytes).find("the header is 65535 bytes long"),
            std::string::npos);
  // Version 2 with a 4 GiB header length.
  bytes = {0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 0xff, 0xff, 0xff, 0xff, '{'};
  EXPECT_NE(npyError(bytes).find("the header is 4294967295 bytes long"),
            std::string::npos);
  bytes = {0x93, 'N', 'U', 'M', 'P', 'Y', 4, 0, 0, 0};
  EXPECT_NE(npyError(bytes).find("unsupported .npy format version 4.0"),
            std::string::npos);
  bytes = {'P', 'K', 3, 4};
  EXPECT_NE(npyError(bytes).find("not a .npy file"), std::string::npos);
}

/// Builds a one-entry stored .npz whose fields can then be corrupted.
std::vector<uint8_t> oneEntryNpz() {
  Array a = patterned(QC_DTYPE_INT16, 2, {4}, 0);
  std::vector<uint8_t> bytes;
  std::string error;
  EXPECT_TRUE(encodeNpz({viewOf("x", a)}, bytes, error)) << error;
  return bytes;
}

void put32(std::vector<uint8_t> &b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    b[at + i] = uint8_t(v >> (8 * i));
}

std::string npzError(const std::vector<uint8_t> &bytes) {
  std::vector<NamedArray> arrays;
  std::string error;
  EXPECT_FALSE(parseNpz(bytes.data(), bytes.size(), arrays, error));
  return error;
}

TEST(NpzTest, RejectsLyingZipFields) {
  std::vector<uint8_t> good = oneEntryNpz();
  size_t eocd = good.size() - 22;
  size_t cd = good[eocd + 16] | (good[eocd + 17] << 8);

  // Central directory sizes that disagree with the data.
  std::vector<uint8_t> b = good;
  put32(b, cd + 24, 0xFFFFFFF0u); // uncompressed size
  EXPECT_NE(npzError(b).find("declares 4294967280 bytes but holds"),
            std::string::npos)
      << npzError(b);
  b = good;
  put32(b, cd + 20, 0x7FFFFFFFu); // compressed size
  put32(b, cd + 24, 0x7FFFFFFFu);
  EXPECT_NE(npzError(b).find("lies outside the file"), std::string::npos);
  // A deflate entry claiming an impossible expansion.
  b = good;
  b[cd + 10] = 8;                 // method: deflate
  put32(b, cd + 24, 0xFFFFFFF0u); // uncompressed size
  EXPECT_NE(npzError(b).find("more than"), std::string::npos) << npzError(b);
  // Deflate method on stored bytes: corrupt deflate data.
  b = good;
  b[cd + 10] = 8;
  EXPECT_NE(npzError(b).find("deflate data"), std::string::npos) << npzError(b);
  // Bad CRC.
  b = good;
  b[cd + 16] ^= 1;
  EXPECT_NE(npzError(b).find("fails its CRC-32 check"), std::string::npos);
  // Local header offset out of range.
  b = good;
  put32(b, cd + 42, 0x10000000u);
  EXPECT_NE(npzError(b).find("bad local header"), std::string::npos);
  // Central directory offset and size out of range.
  b = good;
  put32(b, eocd + 16, 0xFFFFFF00u);
  EXPECT_NE(npzError(b).find("lies outside the file"), std::string::npos);
  b = good;
  b[eocd + 10] = 0xFF; // entry count 0x00FF... too many for the directory
  b[eocd + 8] = 0xFF;
  EXPECT_NE(npzError(b).find("do not fit in a central directory"),
            std::string::npos)
      << npzError(b);
  // Encrypted entry.
  b = good;
  b[cd + 8] |= 1;
  EXPECT_NE(npzError(b).find("encrypted"), std::string::npos);
  // Two entries sharing data.
  {
    Array a = patterned(QC_DTYPE_INT8, 1, {2}, 0);
    std::vector<uint8_t> two;
    std::string error;
    ASSERT_TRUE(encodeNpz({viewOf("a", a), viewOf("b", a)}, two, error));
    size_t e2 = two.size() - 22;
    size_t cd2 = two[e2 + 16] | (two[e2 + 17] << 8);
    size_t second = cd2 + 46 + 5; // after "a.npy"
    put32(two, second + 42, 0);   // point "b" at "a"'s local header
    EXPECT_NE(npzError(two).find("entries overlap"), std::string::npos)
        << npzError(two);
  }
  // Garbage.
  std::vector<uint8_t> junk(100, 'x');
  EXPECT_NE(npzError(junk).find("not a zip archive"), std::string::npos);
  EXPECT_NE(npzError({}).find("not a zip archive"), std::string::npos);
}

//===----------------------------------------------------------------------===//
// Writing errors
//===----------------------------------------------------------------------===//

TEST(NpzTest, WriteErrors) {
  std::string error;
  Array a = patterned(QC_DTYPE_FLOAT32, 4, {2}, 0);

  // Unwritable path.
  EXPECT_FALSE(writeNpz("/nonexistent-dir/out.npz", {viewOf("a", a)}, error));
  EXPECT_EQ(error.find("/nonexistent-dir/out.npz: "), 0u) << error;
  EXPECT_FALSE(writeNpy("/nonexistent-dir/out.npy", viewOf("a", a), error));
  EXPECT_EQ(error.find("/nonexistent-dir/out.npy: "), 0u) << error;

  // No NumPy dtype.
  ArrayView bf16 = viewOf("b", a);
  bf16.dtype = QC_DTYPE_BFLOAT16;
  std::string path = tempPath("bf16.npz");
  EXPECT_FALSE(writeNpz(path, {bf16}, error));
  EXPECT_NE(error.find("array 'b': dtype bfloat16 has no .npy equivalent"),
            std::string::npos)
      << error;
  EXPECT_FALSE(fileExists(path));

  // Duplicate names.
  EXPECT_FALSE(writeNpz(path, {viewOf("a", a), viewOf("a", a)}, error));
  EXPECT_NE(error.find("two arrays are named 'a'"), std::string::npos);
  EXPECT_FALSE(fileExists(path));

  // Buffer smaller than the shape needs.
  ArrayView small = viewOf("s", a);
  small.shape = {3};
  std::vector<uint8_t> bytes;
  EXPECT_FALSE(encodeNpz({small}, bytes, error));
  EXPECT_NE(error.find("the buffer holds 8 bytes but float32 [3] needs 12"),
            std::string::npos)
      << error;

  // Negative dimension.
  ArrayView neg = viewOf("n", a);
  neg.shape = {-2};
  EXPECT_FALSE(encodeNpy(neg, bytes, error));
  EXPECT_NE(error.find("invalid shape [-2]"), std::string::npos) << error;

  // NUL in a name.
  EXPECT_FALSE(encodeNpz({viewOf(std::string("a\0b", 3), a)}, bytes, error));
  EXPECT_NE(error.find("contains a NUL byte"), std::string::npos) << error;

  // Over 4 GiB: rejected before any data is read (it is not there) and
  // before the file is created.
  ArrayView huge;
  huge.name = "huge";
  huge.dtype = QC_DTYPE_UINT8;
  huge.shape = {int64_t(5) << 30};
  huge.data = a.data.data();
  huge.sizeBytes = size_t(5) << 30;
  EXPECT_FALSE(writeNpz(path, {huge}, error));
  EXPECT_NE(error.find("would exceed 4 GiB"), std::string::npos) << error;
  EXPECT_FALSE(fileExists(path));
  // Several arrays that only together exceed it.
  huge.shape = {int64_t(3) << 30};
  ArrayView huge2 = huge;
  huge2.name = "huge2";
  EXPECT_FALSE(writeNpz(path, {huge, huge2}, error));
  EXPECT_NE(error.find("would exceed 4 GiB"), std::string::npos) << error;
  EXPECT_FALSE(fileExists(path));

  // A failed write leaves no partial file behind, and does not clobber an
  // existing one when the arrays are invalid.
  ASSERT_TRUE(writeNpz(path, {viewOf("a", a)}, error)) << error;
  EXPECT_FALSE(writeNpz(path, {bf16}, error));
  std::vector<NamedArray> back;
  EXPECT_TRUE(readNpz(path, back, error)) << error;
  std::remove(path.c_str());

  // .npy round trip through a file.
  path = tempPath("one.npy");
  ASSERT_TRUE(writeNpy(path, viewOf("", a), error)) << error;
  Array b;
  ASSERT_TRUE(readNpy(path, b, error)) << error;
  expectSame(a, b);
  std::remove(path.c_str());
}

} // namespace
