//===- Npz.cpp - Reading and writing NumPy .npy and .npz files ------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// File formats:
//   .npy https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
//   .npz  a zip archive (PKWARE APPNOTE.TXT) of "<name>.npy" entries.
//
// Every size read from a file is checked against the bytes actually present
// before it is used, and no buffer is allocated for more data than the file
// holds (for deflated entries: more than inflating has actually produced).
// Nothing here throws.
//
//===----------------------------------------------------------------------===//

#include "qc/Support/Npz.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>

namespace mlir::qc::npz {
namespace {

//===----------------------------------------------------------------------===//
// Small helpers
//===----------------------------------------------------------------------===//

constexpr char kNpyMagic[] = "\x93NUMPY";
constexpr size_t kNpyMagicLen = 6;
/// Arrays of more dimensions than this are rejected (NumPy allows 32 or 64).
constexpr size_t kMaxRank = 64;
/// The largest value a 32-bit zip field holds without zip64 (0xFFFFFFFF
/// itself means "see the zip64 extra field").
constexpr uint64_t kZip32Max = 0xFFFFFFFEull;
/// No deflate stream expands by more than about 1032:1.
constexpr uint64_t kMaxDeflateRatio = 1032;

uint16_t read16(const uint8_t *p) { return uint16_t(p[0] | (p[1] << 8)); }

uint32_t read32(const uint8_t *p) {
  return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) |
         (uint32_t(p[3]) << 24);
}

uint64_t read64(const uint8_t *p) {
  return uint64_t(read32(p)) | (uint64_t(read32(p + 4)) << 32);
}

void append16(std::string &s, uint16_t v) {
  s.push_back(char(v & 0xff));
  s.push_back(char(v >> 8));
}

void append32(std::string &s, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    s.push_back(char((v >> (8 * i)) & 0xff));
}

/// A printable rendering of `s` for messages, at most `max` bytes of it.
std::string printable(const std::string &s, size_t max = 64) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(char(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > max)
    out += "...";
  return out;
}

std::string toString(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%llu", static_cast<unsigned long long>(v));
  return buf;
}

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ",";
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(shape[i]));
    s += buf;
  }
  return s + "]";
}

/// Bytes per element (0 if unknown). The same as qc_dtype_size(), which
/// lives in the runtime library this one does not link.
size_t elementSize(qc_dtype_t dtype) {
  switch (dtype) {
  case QC_DTYPE_UINT8:
  case QC_DTYPE_INT8:
  case QC_DTYPE_BOOL:
  case QC_DTYPE_FLOAT8E4M3FN:
  case QC_DTYPE_FLOAT8E5M2:
    return 1;
  case QC_DTYPE_UINT16:
  case QC_DTYPE_INT16:
  case QC_DTYPE_FLOAT16:
  case QC_DTYPE_BFLOAT16:
    return 2;
  case QC_DTYPE_FLOAT32:
  case QC_DTYPE_INT32:
  case QC_DTYPE_UINT32:
    return 4;
  case QC_DTYPE_INT64:
  case QC_DTYPE_FLOAT64:
  case QC_DTYPE_UINT64:
    return 8;
  default:
    return 0;
  }
}

/// A dtype's name for messages, as qc_dtype_name() spells it.
std::string dtypeString(qc_dtype_t dtype) {
  switch (dtype) {
  case QC_DTYPE_FLOAT32:
    return "float32";
  case QC_DTYPE_UINT8:
    return "uint8";
  case QC_DTYPE_INT8:
    return "int8";
  case QC_DTYPE_UINT16:
    return "uint16";
  case QC_DTYPE_INT16:
    return "int16";
  case QC_DTYPE_INT32:
    return "int32";
  case QC_DTYPE_INT64:
    return "int64";
  case QC_DTYPE_BOOL:
    return "bool";
  case QC_DTYPE_FLOAT16:
    return "float16";
  case QC_DTYPE_FLOAT64:
    return "float64";
  case QC_DTYPE_UINT32:
    return "uint32";
  case QC_DTYPE_UINT64:
    return "uint64";
  case QC_DTYPE_BFLOAT16:
    return "bfloat16";
  case QC_DTYPE_FLOAT8E4M3FN:
    return "float8e4m3fn";
  case QC_DTYPE_FLOAT8E5M2:
    return "float8e5m2";
  default:
    return "dtype code " + std::to_string(int(dtype));
  }
}

/// Byte count of an array of `shape` and `dtype`; false on a negative
/// dimension or if it does not fit in a size_t (or ptrdiff_t).
bool byteCount(const std::vector<int64_t> &shape, qc_dtype_t dtype,
               size_t &bytes) {
  const uint64_t limit = uint64_t(std::numeric_limits<ptrdiff_t>::max());
  uint64_t elemSize = elementSize(dtype);
  uint64_t count = 1;
  bool empty = false;
  for (int64_t d : shape) {
    if (d < 0)
      return false;
    empty |= d == 0;
  }
  if (!empty) {
    for (int64_t d : shape) {
      if (uint64_t(d) > limit / count)
        return false;
      count *= uint64_t(d);
    }
  } else {
    count = 0;
  }
  if (elemSize == 0 || count > limit / elemSize)
    return false;
  bytes = size_t(count * elemSize);
  return true;
}

/// Reads a whole file. Messages start with the path.
bool readFile(const std::string &path, std::vector<uint8_t> &out,
              std::string &error) {
  out.clear();
  FILE *f = std::fopen(path.c_str(), "rb");
  if (!f) {
    error = path + ": " + std::strerror(errno);
    return false;
  }
  std::unique_ptr<FILE, int (*)(FILE *)> closer(f, std::fclose);
  uint8_t chunk[1 << 16];
  for (;;) {
    size_t n = std::fread(chunk, 1, sizeof(chunk), f);
    out.insert(out.end(), chunk, chunk + n);
    if (n < sizeof(chunk)) {
      if (std::ferror(f)) {
        error = path + ": read error: " + std::strerror(errno);
        return false;
      }
      break;
    }
  }
  return true;
}

//===----------------------------------------------------------------------===//
// .npy header
//===----------------------------------------------------------------------===//

/// Parses the Python dict literal of a .npy header, e.g.
///   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class HeaderParser {
public:
  HeaderParser(const char *text, size_t size) : p(text), end(text + size) {}

  bool parse(std::string &descr, bool &fortranOrder,
             std::vector<int64_t> &shape, std::string &error) {
    bool haveDescr = false, haveFortran = false, haveShape = false;
    skipSpace();
    if (!eat('{'))
      return fail("expected '{'", error);
    for (;;) {
      skipSpace();
      if (eat('}'))
        break;
      std::string key;
      if (!parseString(key))
        return fail("expected a quoted key", error);
      skipSpace();
      if (!eat(':'))
        return fail("expected ':' after '" + printable(key) + "'", error);
      skipSpace();
      if (key == "descr") {
        if (haveDescr)
          return fail("'descr' appears twice", error);
        if (p < end && *p == '[') {
          error = "structured (record) dtypes are not supported";
          return false;
        }
        if (!parseString(descr))
          return fail("expected a quoted dtype descriptor", error);
        haveDescr = true;
      } else if (key == "fortran_order") {
        if (haveFortran)
          return fail("'fortran_order' appears twice", error);
        if (eatWord("True"))
          fortranOrder = true;
        else if (eatWord("False"))
          fortranOrder = false;
        else
          return fail("expected True or False for 'fortran_order'", error);
        haveFortran = true;
      } else if (key == "shape") {
        if (haveShape)
          return fail("'shape' appears twice", error);
        if (!parseShape(shape, error))
          return false;
        haveShape = true;
      } else {
        return fail("unexpected key '" + printable(key) + "'", error);
      }
      skipSpace();
      if (eat(','))
        continue;
      if (eat('}'))
        break;
      return fail("expected ',' or '}'", error);
    }
    skipSpace();
    if (p != end)
      return fail("unexpected text after the closing '}'", error);
    if (!haveDescr || !haveFortran || !haveShape) {
      error = std::string("malformed .npy header: missing '") +
              (!haveDescr     ? "descr"
               : !haveFortran ? "fortran_order"
                              : "shape") +
              "'";
      return false;
    }
    return true;
  }

private:
  bool fail(const std::string &what, std::string &error) {
    std::string near(p, std::min<size_t>(size_t(end - p), 24));
    error = "malformed .npy header: " + what;
    error += p == end ? " at its end" : " near '" + printable(near) + "'";
    return false;
  }

  void skipSpace() {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
      ++p;
  }

  bool eat(char c) {
    if (p < end && *p == c) {
      ++p;
      return true;
    }
    return false;
  }

  bool eatWord(const char *w) {
    size_t n = std::strlen(w);
    if (size_t(end - p) < n || std::memcmp(p, w, n) != 0)
      return false;
    p += n;
    return true;
  }

  bool parseString(std::string &out) {
    if (p >= end || (*p != '\'' && *p != '"'))
      return false;
    char quote = *p++;
    const char *start = p;
    while (p < end && *p != quote) {
      if (*p == '\\' || *p == '\n')
        return false; // NumPy never writes escapes here
      ++p;
    }
    if (p >= end)
      return false;
    out.assign(start, p);
    ++p;
    return true;
  }

  bool parseShape(std::vector<int64_t> &shape, std::string &error) {
    shape.clear();
    if (!eat('('))
      return fail("expected '(' for 'shape'", error);
    for (;;) {
      skipSpace();
      if (eat(')'))
        return true;
      if (p < end && *p == '-') {
        error = "malformed .npy header: negative dimension in 'shape'";
        return false;
      }
      if (p >= end || *p < '0' || *p > '9')
        return fail("expected a dimension in 'shape'", error);
      uint64_t v = 0;
      while (p < end && *p >= '0' && *p <= '9') {
        unsigned d = unsigned(*p - '0');
        if (v > (uint64_t(std::numeric_limits<int64_t>::max()) - d) / 10) {
          error = "malformed .npy header: a dimension in 'shape' is too large";
          return false;
        }
        v = v * 10 + d;
        ++p;
      }
      eat('L'); // Python 2 longs
      if (shape.size() == kMaxRank) {
        error = "arrays of more than " + std::to_string(kMaxRank) +
                " dimensions are not supported";
        return false;
      }
      shape.push_back(int64_t(v));
      skipSpace();
      if (eat(','))
        continue;
      if (eat(')')) {
        // A 1-tuple needs its comma in Python: "(3)" is just 3.
        if (shape.size() == 1)
          return fail("a one-dimensional 'shape' needs a trailing comma",
                      error);
        return true;
      }
      return fail("expected ',' or ')' in 'shape'", error);
    }
  }

  const char *p;
  const char *end;
};

struct NpyHeader {
  qc_dtype_t dtype = QC_DTYPE_UNDEFINED;
  std::vector<int64_t> shape;
  size_t dataOffset = 0;
  size_t dataBytes = 0;
};

/// Parses and checks everything but the array data itself; on success the
/// data is exactly [dataOffset, dataOffset + dataBytes) == [.., size).
bool parseNpyHeader(const uint8_t *data, size_t size, NpyHeader &h,
                    std::string &error) {
  if (size < kNpyMagicLen || std::memcmp(data, kNpyMagic, kNpyMagicLen) != 0) {
    error = "not a .npy file (it does not start with \\x93NUMPY)";
    return false;
  }
  if (size < 10) {
    error = "truncated .npy file (" + toString(size) +
            " bytes, too short for a header)";
    return false;
  }
  unsigned major = data[6], minor = data[7];
  size_t headerStart, headerLen;
  if (major == 1 && minor == 0) {
    headerStart = 10;
    headerLen = read16(data + 8);
  } else if ((major == 2 || major == 3) && minor == 0) {
    if (size < 12) {
      error = "truncated .npy file (" + toString(size) +
              " bytes, too short for a header)";
      return false;
    }
    headerStart = 12;
    headerLen = read32(data + 8);
  } else {
    error = "unsupported .npy format version " + std::to_string(major) + "." +
            std::to_string(minor) + " (1.0, 2.0 and 3.0 are supported)";
    return false;
  }
  if (headerLen > size - headerStart) {
    error = "truncated .npy file: the header is " + toString(headerLen) +
            " bytes long but only " + toString(size - headerStart) +
            " bytes follow";
    return false;
  }

  std::string descr;
  bool fortranOrder = false;
  HeaderParser parser(reinterpret_cast<const char *>(data + headerStart),
                      headerLen);
  if (!parser.parse(descr, fortranOrder, h.shape, error))
    return false;

  h.dtype = dtypeFromDescr(descr);
  if (h.dtype == QC_DTYPE_UNDEFINED) {
    if (descr.size() > 1 && descr[0] == '>' &&
        dtypeFromDescr("<" + descr.substr(1)) != QC_DTYPE_UNDEFINED)
      error = "big-endian dtype '" + printable(descr) +
              "' is not supported; convert the array with .astype('<" +
              printable(descr.substr(1)) + "')";
    else
      error = "unsupported dtype '" + printable(descr) +
              "' (supported: <f2 <f4 <f8 |i1 <i2 <i4 <i8 |u1 <u2 <u4 <u8 |b1)";
    return false;
  }
  if (fortranOrder) {
    error = "arrays in Fortran order (fortran_order: True) are not supported; "
            "save np.ascontiguousarray(a) instead";
    return false;
  }
  if (!byteCount(h.shape, h.dtype, h.dataBytes)) {
    error = "shape " + shapeString(h.shape) + " has too many elements";
    return false;
  }
  h.dataOffset = headerStart + headerLen;
  size_t present = size - h.dataOffset;
  if (present < h.dataBytes) {
    error = "truncated .npy file: " + dtypeString(h.dtype) + " " +
            shapeString(h.shape) + " needs " + toString(h.dataBytes) +
            " bytes of data but only " + toString(present) + " are present";
    return false;
  }
  if (present > h.dataBytes) {
    error = "corrupt .npy file: " + toString(present - h.dataBytes) +
            " unexpected bytes after the " + dtypeString(h.dtype) + " " +
            shapeString(h.shape) + " array data";
    return false;
  }
  return true;
}

/// Rejects bool arrays holding anything but 0 and 1.
bool checkValues(const Array &a, std::string &error) {
  if (a.dtype != QC_DTYPE_BOOL)
    return true;
  for (size_t i = 0; i < a.data.size(); ++i) {
    if (a.data[i] > 1) {
      error = "bool array holds the byte value " + std::to_string(a.data[i]) +
              " at element " + toString(i) + " (only 0 and 1 are valid)";
      return false;
    }
  }
  return true;
}

//===----------------------------------------------------------------------===//
// .npz reading
//===----------------------------------------------------------------------===//

/// Inflates a raw deflate stream that must produce exactly `expected` bytes.
/// The output grows with what inflate actually produces, so a lying size
/// costs nothing.
bool inflateExactly(const uint8_t *src, size_t srcSize, uint64_t expected,
                    std::vector<uint8_t> &out, std::string &error) {
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) {
    error = "cannot initialize zlib";
    return false;
  }
  out.clear();
  size_t capacity = size_t(std::min<uint64_t>(
      expected, std::max<uint64_t>(uint64_t(1) << 16, uint64_t(srcSize) * 4)));
  out.resize(capacity);
  size_t produced = 0, consumed = 0;
  int ret = Z_OK;
  bool ok = true;
  while (ret != Z_STREAM_END) {
    if (produced == capacity) {
      if (capacity == expected) {
        // Full: the stream must end without producing anything more.
        uint8_t extra;
        zs.next_out = &extra;
        zs.avail_out = 1;
        zs.next_in = const_cast<uint8_t *>(src + consumed);
        zs.avail_in = uInt(std::min<size_t>(srcSize - consumed, 1u << 30));
        size_t before = zs.avail_in;
        ret = inflate(&zs, Z_NO_FLUSH);
        consumed += before - zs.avail_in;
        if (zs.avail_out == 0) {
          error = "deflate data is larger than the entry's declared size of " +
                  toString(expected) + " bytes";
          ok = false;
        } else if (ret != Z_STREAM_END) {
          error = "deflate data is corrupt or truncated";
          ok = false;
        }
        break;
      }
      capacity = size_t(std::min<uint64_t>(expected, uint64_t(capacity) * 2));
      out.resize(capacity);
    }
    zs.next_out = out.data() + produced;
    zs.avail_out = uInt(std::min<size_t>(capacity - produced, 1u << 30));
    zs.next_in = const_cast<uint8_t *>(src + consumed);
    zs.avail_in = uInt(std::min<size_t>(srcSize - consumed, 1u << 30));
    size_t outBefore = zs.avail_out, inBefore = zs.avail_in;
    ret = inflate(&zs, Z_NO_FLUSH);
    produced += outBefore - zs.avail_out;
    consumed += inBefore - zs.avail_in;
    if (ret == Z_STREAM_END)
      break;
    if (ret == Z_BUF_ERROR && zs.avail_out != 0) {
      error = "deflate data is truncated";
      ok = false;
      break;
    }
    if (ret != Z_OK && ret != Z_BUF_ERROR) {
      error = std::string("deflate data is corrupt") +
              (zs.msg ? std::string(" (") + zs.msg + ")" : std::string());
      ok = false;
      break;
    }
  }
  inflateEnd(&zs);
  if (ok && produced != expected) {
    error = "deflate data holds " + toString(produced) +
            " bytes but the entry declares " + toString(expected);
    ok = false;
  }
  if (!ok) {
    out.clear();
    return false;
  }
  out.resize(produced);
  return true;
}

uint32_t crc32Of(const uint8_t *data, size_t size, uint32_t crc = 0) {
  uLong c = crc;
  while (size > 0) {
    uInt n = uInt(std::min<size_t>(size, 1u << 30));
    c = crc32(c, data, n);
    data += n;
    size -= n;
  }
  return uint32_t(c);
}

struct CentralEntry {
  std::string name;
  uint16_t flags = 0;
  uint16_t method = 0;
  uint32_t crc = 0;
  uint64_t compressedSize = 0;
  uint64_t uncompressedSize = 0;
  uint64_t localOffset = 0;
};

/// Replaces 0xFFFFFFFF sizes/offset with values from a zip64 extra field.
bool applyZip64Extra(const uint8_t *extra, size_t len, CentralEntry &e,
                     std::string &error) {
  bool needU = e.uncompressedSize == 0xFFFFFFFFu;
  bool needC = e.compressedSize == 0xFFFFFFFFu;
  bool needO = e.localOffset == 0xFFFFFFFFu;
  if (!needU && !needC && !needO)
    return true;
  size_t pos = 0;
  while (len - pos >= 4) {
    uint16_t id = read16(extra + pos), size = read16(extra + pos + 2);
    pos += 4;
    if (size > len - pos)
      break;
    if (id == 0x0001) {
      const uint8_t *f = extra + pos;
      size_t left = size;
      auto take = [&](uint64_t &v) {
        if (left < 8)
          return false;
        v = read64(f);
        f += 8;
        left -= 8;
        return true;
      };
      if ((needU && !take(e.uncompressedSize)) ||
          (needC && !take(e.compressedSize)) || (needO && !take(e.localOffset)))
        break;
      return true;
    }
    pos += size;
  }
  error = "entry '" + printable(e.name) + "' has a corrupt zip64 extra field";
  return false;
}

bool parseNpzImpl(const uint8_t *data, size_t size,
                  std::vector<NamedArray> &out, std::string &error) {
  out.clear();
  // End of central directory record: 22 bytes plus a comment of <= 64 KiB.
  if (size < 22) {
    error = size >= 4 && read32(data) == 0x04034b50
                ? "truncated zip archive (no end of central directory record)"
                : "not a zip archive (too short)";
    return false;
  }
  size_t eocd = SIZE_MAX;
  size_t lowest = size > 22 + 0xFFFF ? size - 22 - 0xFFFF : 0;
  for (size_t pos = size - 22 + 1; pos-- > lowest;) {
    if (read32(data + pos) == 0x06054b50 &&
        pos + 22 + read16(data + pos + 20) <= size) {
      eocd = pos;
      break;
    }
  }
  if (eocd == SIZE_MAX) {
    error = read32(data) == 0x04034b50 ? "truncated or corrupt zip archive (no "
                                         "end of central directory record)"
            : std::memcmp(data, kNpyMagic, kNpyMagicLen) == 0
                ? "this is a .npy file, not a .npz archive"
                : "not a zip archive (no end of central directory record)";
    return false;
  }
  const uint8_t *e = data + eocd;
  uint16_t disk = read16(e + 4), cdDisk = read16(e + 6);
  uint16_t entriesHere = read16(e + 8), entries = read16(e + 10);
  uint32_t cdSize = read32(e + 12), cdOffset = read32(e + 16);
  if (entries == 0xFFFF || cdSize == 0xFFFFFFFFu || cdOffset == 0xFFFFFFFFu) {
    if (eocd >= 20 && read32(data + eocd - 20) == 0x07064b50) {
      error = "zip64 archives (over 4 GiB or 65535 entries) are not supported";
      return false;
    }
  }
  if (disk != 0 || cdDisk != 0 || entriesHere != entries) {
    error = "multi-volume zip archives are not supported";
    return false;
  }
  if (uint64_t(cdOffset) + cdSize > eocd) {
    error = "corrupt zip archive: the central directory (offset " +
            toString(cdOffset) + ", " + toString(cdSize) +
            " bytes) lies outside the file";
    return false;
  }
  if (uint64_t(entries) * 46 > cdSize) {
    error = "corrupt zip archive: " + toString(entries) +
            " entries do not fit in a central directory of " +
            toString(cdSize) + " bytes";
    return false;
  }

  std::vector<CentralEntry> central;
  central.reserve(entries);
  size_t pos = cdOffset, cdEnd = size_t(cdOffset) + cdSize;
  for (unsigned i = 0; i < entries; ++i) {
    if (cdEnd - pos < 46 || read32(data + pos) != 0x02014b50) {
      error = "corrupt zip archive: bad central directory entry " +
              std::to_string(i);
      return false;
    }
    const uint8_t *c = data + pos;
    CentralEntry ce;
    ce.flags = read16(c + 8);
    ce.method = read16(c + 10);
    ce.crc = read32(c + 16);
    ce.compressedSize = read32(c + 20);
    ce.uncompressedSize = read32(c + 24);
    size_t nameLen = read16(c + 28), extraLen = read16(c + 30),
           commentLen = read16(c + 32);
    ce.localOffset = read32(c + 42);
    if (cdEnd - pos - 46 < nameLen + extraLen + commentLen) {
      error = "corrupt zip archive: central directory entry " +
              std::to_string(i) + " runs past the directory";
      return false;
    }
    ce.name.assign(reinterpret_cast<const char *>(c + 46), nameLen);
    if (!applyZip64Extra(c + 46 + nameLen, extraLen, ce, error))
      return false;
    pos += 46 + nameLen + extraLen + commentLen;
    central.push_back(std::move(ce));
  }

  // Entries may not share bytes: otherwise a small file could expand into
  // many copies of the same large deflated data.
  {
    std::vector<std::pair<uint64_t, uint64_t>> spans; // [local header, end)
    spans.reserve(central.size());
    for (const CentralEntry &ce : central) {
      if (ce.localOffset > cdOffset || cdOffset - ce.localOffset < 30 ||
          read32(data + ce.localOffset) != 0x04034b50) {
        error = "corrupt zip archive: bad local header for entry '" +
                printable(ce.name) + "'";
        return false;
      }
      const uint8_t *l = data + ce.localOffset;
      uint64_t dataStart =
          ce.localOffset + 30 + uint64_t(read16(l + 26)) + read16(l + 28);
      if (dataStart > cdOffset || ce.compressedSize > cdOffset - dataStart) {
        error = "corrupt zip archive: the data of entry '" +
                printable(ce.name) + "' lies outside the file";
        return false;
      }
      spans.emplace_back(ce.localOffset, dataStart + ce.compressedSize);
    }
    std::sort(spans.begin(), spans.end());
    for (size_t i = 1; i < spans.size(); ++i) {
      if (spans[i].first < spans[i - 1].second) {
        error = "corrupt zip archive: entries overlap";
        return false;
      }
    }
  }

  for (const CentralEntry &ce : central) {
    std::string entry = "entry '" + printable(ce.name) + "'";
    if (ce.flags & 0x0041) {
      error = entry + " is encrypted; encrypted archives are not supported";
      return false;
    }
    if (ce.method != 0 && ce.method != 8) {
      error = entry + " uses compression method " + std::to_string(ce.method) +
              "; only stored and deflate entries are supported";
      return false;
    }
    // Local file header (checked above): 30 bytes, its own name and extra.
    const uint8_t *l = data + ce.localOffset;
    uint64_t dataStart =
        ce.localOffset + 30 + uint64_t(read16(l + 26)) + read16(l + 28);
    const uint8_t *src = data + dataStart;
    size_t srcSize = size_t(ce.compressedSize);

    std::vector<uint8_t> bytes;
    if (ce.method == 0) {
      if (ce.uncompressedSize != ce.compressedSize) {
        error = "corrupt zip archive: stored " + entry + " declares " +
                toString(ce.uncompressedSize) + " bytes but holds " +
                toString(ce.compressedSize);
        return false;
      }
      bytes.assign(src, src + srcSize);
    } else {
      if (ce.uncompressedSize > uint64_t(srcSize) * kMaxDeflateRatio + 1024 ||
          ce.uncompressedSize >
              uint64_t(std::numeric_limits<ptrdiff_t>::max())) {
        error = "corrupt zip archive: " + entry + " declares " +
                toString(ce.uncompressedSize) + " bytes, more than " +
                toString(srcSize) + " compressed bytes can hold";
        return false;
      }
      std::string why;
      if (!inflateExactly(src, srcSize, ce.uncompressedSize, bytes, why)) {
        error = "corrupt zip archive: " + entry + ": " + why;
        return false;
      }
    }
    if (crc32Of(bytes.data(), bytes.size()) != ce.crc) {
      error = "corrupt zip archive: " + entry + " fails its CRC-32 check";
      return false;
    }

    NamedArray named;
    named.name = ce.name;
    if (named.name.size() >= 4 &&
        named.name.compare(named.name.size() - 4, 4, ".npy") == 0)
      named.name.resize(named.name.size() - 4);
    for (const NamedArray &prev : out) {
      if (prev.name == named.name) {
        error = "the archive holds two arrays named '" + printable(named.name) +
                "'";
        return false;
      }
    }
    NpyHeader h;
    std::string why;
    if (!parseNpyHeader(bytes.data(), bytes.size(), h, why)) {
      error = entry + ": " + why;
      return false;
    }
    named.array.dtype = h.dtype;
    named.array.shape = std::move(h.shape);
    bytes.erase(bytes.begin(), bytes.begin() + ptrdiff_t(h.dataOffset));
    named.array.data = std::move(bytes);
    if (!checkValues(named.array, why)) {
      error = entry + ": " + why;
      return false;
    }
    out.push_back(std::move(named));
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

/// Where encoded bytes go.
class Sink {
public:
  virtual ~Sink() = default;
  virtual bool write(const void *data, size_t size) = 0;
};

class VectorSink : public Sink {
public:
  explicit VectorSink(std::vector<uint8_t> &target) : bytes(target) {}
  bool write(const void *data, size_t size) override {
    const uint8_t *p = static_cast<const uint8_t *>(data);
    bytes.insert(bytes.end(), p, p + size);
    return true;
  }

private:
  std::vector<uint8_t> &bytes;
};

class FileSink : public Sink {
public:
  explicit FileSink(FILE *file) : f(file) {}
  bool write(const void *data, size_t size) override {
    if (size == 0)
      return true;
    if (std::fwrite(data, 1, size, f) != size) {
      savedErrno = errno;
      return false;
    }
    return true;
  }
  int savedErrno = 0;

private:
  FILE *f;
};

/// The .npy header (magic through padding) for `a`, and its data size.
bool npyHeaderFor(const ArrayView &a, std::string &header, size_t &dataBytes,
                  std::string &error) {
  const char *descr = npyDescr(a.dtype);
  if (!descr) {
    error = "dtype " + dtypeString(a.dtype) + " has no .npy equivalent";
    return false;
  }
  if (a.shape.size() > kMaxRank) {
    error = "arrays of more than " + std::to_string(kMaxRank) +
            " dimensions are not supported";
    return false;
  }
  if (!byteCount(a.shape, a.dtype, dataBytes)) {
    error = "invalid shape " + shapeString(a.shape);
    return false;
  }
  if (a.sizeBytes < dataBytes) {
    error = "the buffer holds " + toString(a.sizeBytes) + " bytes but " +
            dtypeString(a.dtype) + " " + shapeString(a.shape) + " needs " +
            toString(dataBytes);
    return false;
  }
  if (dataBytes > 0 && !a.data) {
    error = "the data pointer is NULL";
    return false;
  }
  std::string dict = "{'descr': '";
  dict += descr;
  dict += "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < a.shape.size(); ++i) {
    if (i)
      dict += ", ";
    dict += std::to_string(a.shape[i]);
  }
  if (a.shape.size() == 1)
    dict += ",";
  dict += "), }";
  // Pad with spaces so that the data starts on a 64-byte boundary.
  size_t prefix = dict.size() + 1 + 10 > 0xFFFF ? 12 : 10;
  size_t total = prefix + dict.size() + 1;
  size_t padded = (total + 63) / 64 * 64;
  dict.append(padded - total, ' ');
  dict += '\n';
  header.assign(kNpyMagic, kNpyMagicLen);
  if (prefix == 10) {
    header += '\x01';
    header += '\x00';
    append16(header, uint16_t(dict.size()));
  } else {
    header += '\x02';
    header += '\x00';
    append32(header, uint32_t(dict.size()));
  }
  header += dict;
  return true;
}

bool emitNpy(Sink &sink, const ArrayView &a, std::string &error) {
  std::string header;
  size_t dataBytes = 0;
  if (!npyHeaderFor(a, header, dataBytes, error))
    return false;
  if (!sink.write(header.data(), header.size()) ||
      !sink.write(a.data, dataBytes)) {
    error = "write error";
    return false;
  }
  return true;
}

/// One .npz entry, laid out but not yet written.
struct PendingEntry {
  std::string name; // with ".npy"
  std::string header;
  size_t dataBytes = 0;
  uint32_t crc = 0;
  uint64_t offset = 0;
};

/// An .npz archive, laid out but not yet written.
struct NpzLayout {
  std::vector<PendingEntry> entries;
  uint64_t cdOffset = 0;
  uint64_t cdSize = 0;
};

/// Checks `arrays` and lays out the archive; reads no array data.
bool layoutNpz(const std::vector<ArrayView> &arrays, NpzLayout &layout,
               std::string &error) {
  if (arrays.size() > 0xFFFF) {
    error = "too many arrays for a .npz archive without zip64 (" +
            toString(arrays.size()) + ", at most 65535)";
    return false;
  }
  layout.entries.assign(arrays.size(), PendingEntry());
  uint64_t offset = 0, cdSize = 0;
  for (size_t i = 0; i < arrays.size(); ++i) {
    const ArrayView &a = arrays[i];
    PendingEntry &p = layout.entries[i];
    if (a.name.find('\0') != std::string::npos) {
      error = "array name '" + printable(a.name) + "' contains a NUL byte";
      return false;
    }
    for (size_t j = 0; j < i; ++j) {
      if (arrays[j].name == a.name) {
        error = "two arrays are named '" + printable(a.name) + "'";
        return false;
      }
    }
    p.name = a.name + ".npy";
    if (p.name.size() > 0xFFFF) {
      error = "array name '" + printable(a.name) + "' is too long";
      return false;
    }
    std::string why;
    if (!npyHeaderFor(a, p.header, p.dataBytes, why)) {
      error = "array '" + printable(a.name) + "': " + why;
      return false;
    }
    uint64_t entrySize = uint64_t(p.header.size()) + p.dataBytes;
    p.offset = offset;
    offset += 30 + p.name.size() + entrySize;
    cdSize += 46 + p.name.size();
    if (entrySize > kZip32Max || p.offset > kZip32Max ||
        offset + cdSize + 22 > kZip32Max) {
      error = "the .npz archive would exceed 4 GiB, which needs zip64 "
              "extensions; they are not supported";
      return false;
    }
  }
  layout.cdOffset = offset;
  layout.cdSize = cdSize;
  return true;
}

bool emitNpz(Sink &sink, const std::vector<ArrayView> &arrays,
             NpzLayout &layout, std::string &error) {
  std::vector<PendingEntry> &pending = layout.entries;
  std::string buf;
  for (size_t i = 0; i < arrays.size(); ++i) {
    PendingEntry &p = pending[i];
    const uint8_t *d = static_cast<const uint8_t *>(arrays[i].data);
    p.crc = crc32Of(reinterpret_cast<const uint8_t *>(p.header.data()),
                    p.header.size());
    if (p.dataBytes)
      p.crc = crc32Of(d, p.dataBytes, p.crc);
    uint32_t size = uint32_t(p.header.size() + p.dataBytes);
    bool utf8 = std::any_of(p.name.begin(), p.name.end(),
                            [](char c) { return (unsigned char)c >= 0x80; });
    buf.clear();
    append32(buf, 0x04034b50);
    append16(buf, 20);               // version needed: 2.0
    append16(buf, utf8 ? 0x800 : 0); // flags
    append16(buf, 0);                // method: stored
    append16(buf, 0);                // time 00:00:00
    append16(buf, 0x21);             // date 1980-01-01
    append32(buf, p.crc);
    append32(buf, size);
    append32(buf, size);
    append16(buf, uint16_t(p.name.size()));
    append16(buf, 0); // extra length
    buf += p.name;
    if (!sink.write(buf.data(), buf.size()) ||
        !sink.write(p.header.data(), p.header.size()) ||
        !sink.write(d, p.dataBytes)) {
      error = "write error";
      return false;
    }
  }
  buf.clear();
  for (size_t i = 0; i < arrays.size(); ++i) {
    const PendingEntry &p = pending[i];
    uint32_t size = uint32_t(p.header.size() + p.dataBytes);
    bool utf8 = std::any_of(p.name.begin(), p.name.end(),
                            [](char c) { return (unsigned char)c >= 0x80; });
    append32(buf, 0x02014b50);
    append16(buf, 0x0314); // made by: Unix, 2.0
    append16(buf, 20);
    append16(buf, utf8 ? 0x800 : 0);
    append16(buf, 0);
    append16(buf, 0);
    append16(buf, 0x21);
    append32(buf, p.crc);
    append32(buf, size);
    append32(buf, size);
    append16(buf, uint16_t(p.name.size()));
    append16(buf, 0);              // extra
    append16(buf, 0);              // comment
    append16(buf, 0);              // disk
    append16(buf, 0);              // internal attributes
    append32(buf, 0100644u << 16); // regular file, rw-r--r--
    append32(buf, uint32_t(p.offset));
    buf += p.name;
  }
  append32(buf, 0x06054b50);
  append16(buf, 0);
  append16(buf, 0);
  append16(buf, uint16_t(arrays.size()));
  append16(buf, uint16_t(arrays.size()));
  append32(buf, uint32_t(layout.cdSize));
  append32(buf, uint32_t(layout.cdOffset));
  append16(buf, 0); // comment
  if (!sink.write(buf.data(), buf.size())) {
    error = "write error";
    return false;
  }
  return true;
}

/// Runs `emit` into a new file at `path`; removes the file on failure.
template <typename Emit>
bool writeFile(const std::string &path, Emit emit, std::string &error) {
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f) {
    error = path + ": " + std::strerror(errno);
    return false;
  }
  FileSink sink(f);
  std::string why;
  bool ok = emit(sink, why);
  if (!ok && sink.savedErrno)
    why += std::string(": ") + std::strerror(sink.savedErrno);
  if (std::fclose(f) != 0 && ok) {
    why = std::string("write error: ") + std::strerror(errno);
    ok = false;
  }
  if (!ok) {
    std::remove(path.c_str());
    error = path + ": " + why;
  }
  return ok;
}

} // namespace

//===----------------------------------------------------------------------===//
// Public API
//===----------------------------------------------------------------------===//

size_t Array::numElements() const {
  size_t n = 1;
  for (int64_t d : shape)
    n *= size_t(d);
  return n;
}

ArrayView viewOf(const std::string &name, const Array &array) {
  ArrayView v;
  v.name = name;
  v.dtype = array.dtype;
  v.shape = array.shape;
  v.data = array.data.data();
  v.sizeBytes = array.data.size();
  return v;
}

const char *npyDescr(qc_dtype_t dtype) {
  switch (dtype) {
  case QC_DTYPE_FLOAT32:
    return "<f4";
  case QC_DTYPE_FLOAT64:
    return "<f8";
  case QC_DTYPE_FLOAT16:
    return "<f2";
  case QC_DTYPE_UINT8:
    return "|u1";
  case QC_DTYPE_INT8:
    return "|i1";
  case QC_DTYPE_UINT16:
    return "<u2";
  case QC_DTYPE_INT16:
    return "<i2";
  case QC_DTYPE_UINT32:
    return "<u4";
  case QC_DTYPE_INT32:
    return "<i4";
  case QC_DTYPE_UINT64:
    return "<u8";
  case QC_DTYPE_INT64:
    return "<i8";
  case QC_DTYPE_BOOL:
    return "|b1";
  default:
    return nullptr;
  }
}

qc_dtype_t dtypeFromDescr(const std::string &descr) {
  if (descr.size() != 3)
    return QC_DTYPE_UNDEFINED;
  char order = descr[0];
  std::string type = descr.substr(1);
  if (type == "u1" || type == "i1" || type == "b1") {
    if (order != '|' && order != '<' && order != '>' && order != '=')
      return QC_DTYPE_UNDEFINED;
    return type == "u1"   ? QC_DTYPE_UINT8
           : type == "i1" ? QC_DTYPE_INT8
                          : QC_DTYPE_BOOL;
  }
  if (order != '<')
    return QC_DTYPE_UNDEFINED;
  static const struct {
    const char *type;
    qc_dtype_t dtype;
  } table[] = {
      {"f2", QC_DTYPE_FLOAT16}, {"f4", QC_DTYPE_FLOAT32},
      {"f8", QC_DTYPE_FLOAT64}, {"i2", QC_DTYPE_INT16},
      {"i4", QC_DTYPE_INT32},   {"i8", QC_DTYPE_INT64},
      {"u2", QC_DTYPE_UINT16},  {"u4", QC_DTYPE_UINT32},
      {"u8", QC_DTYPE_UINT64},
  };
  for (const auto &entry : table)
    if (type == entry.type)
      return entry.dtype;
  return QC_DTYPE_UNDEFINED;
}

bool parseNpy(const uint8_t *data, size_t size, Array &out,
              std::string &error) {
  out = Array();
  NpyHeader h;
  if (!parseNpyHeader(data, size, h, error))
    return false;
  Array a;
  a.dtype = h.dtype;
  a.shape = std::move(h.shape);
  a.data.assign(data + h.dataOffset, data + h.dataOffset + h.dataBytes);
  if (!checkValues(a, error))
    return false;
  out = std::move(a);
  return true;
}

bool parseNpz(const uint8_t *data, size_t size, std::vector<NamedArray> &out,
              std::string &error) {
  if (!parseNpzImpl(data, size, out, error)) {
    out.clear();
    return false;
  }
  return true;
}

bool readNpy(const std::string &path, Array &out, std::string &error) {
  std::vector<uint8_t> bytes;
  if (!readFile(path, bytes, error))
    return false;
  if (!parseNpy(bytes.data(), bytes.size(), out, error)) {
    error = path + ": " + error;
    return false;
  }
  return true;
}

bool readNpz(const std::string &path, std::vector<NamedArray> &out,
             std::string &error) {
  std::vector<uint8_t> bytes;
  out.clear();
  if (!readFile(path, bytes, error))
    return false;
  if (!parseNpz(bytes.data(), bytes.size(), out, error)) {
    error = path + ": " + error;
    return false;
  }
  return true;
}

bool encodeNpy(const ArrayView &array, std::vector<uint8_t> &out,
               std::string &error) {
  out.clear();
  VectorSink sink(out);
  return emitNpy(sink, array, error);
}

bool encodeNpz(const std::vector<ArrayView> &arrays, std::vector<uint8_t> &out,
               std::string &error) {
  out.clear();
  NpzLayout layout;
  if (!layoutNpz(arrays, layout, error))
    return false;
  VectorSink sink(out);
  return emitNpz(sink, arrays, layout, error);
}

bool writeNpy(const std::string &path, const ArrayView &array,
              std::string &error) {
  std::string why;
  // Validate before creating the file.
  std::string header;
  size_t dataBytes;
  if (!npyHeaderFor(array, header, dataBytes, why)) {
    error = path + ": " + why;
    return false;
  }
  return writeFile(
      path, [&](Sink &sink, std::string &e) { return emitNpy(sink, array, e); },
      error);
}

bool writeNpz(const std::string &path, const std::vector<ArrayView> &arrays,
              std::string &error) {
  // Everything is checked before the file is created.
  NpzLayout layout;
  std::string why;
  if (!layoutNpz(arrays, layout, why)) {
    error = path + ": " + why;
    return false;
  }
  return writeFile(
      path,
      [&](Sink &sink, std::string &e) {
        return emitNpz(sink, arrays, layout, e);
      },
      error);
}

} // namespace mlir::qc::npz
