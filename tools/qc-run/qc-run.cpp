//===- qc-run.cpp - Run a model compiled by qc-compile --------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Loads a model.so through the qc runtime, feeds it arrays from an .npz file
// (or deterministic pseudo-random data), writes its outputs to an .npz file,
// and optionally benchmarks it. Plain C++17: no LLVM/MLIR.
//
//===----------------------------------------------------------------------===//

#include "qc/Support/Npz.h"
#include "qc/qc_runtime.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace npz = mlir::qc::npz;

namespace {

const char *const kHelp = R"HELP(qc-run - run a model compiled by qc-compile

USAGE
  qc-run <model.so> [options]

Loads <model.so>, runs it once on the given (or generated) inputs and prints
a short summary of each output, or writes the outputs to a file, or times it.

OPTIONS
  --inputs <file>   Read the inputs from <file>: an .npz archive holding one
                    array per model input, keyed by the input's name, as
                    written by np.savez(file, x=..., k=...). A .npy file is
                    also accepted when the model has exactly one input.
                    Every input must be present with exactly the model's
                    dtype and shape; missing, extra or mismatched arrays are
                    errors. (bfloat16 and float8 inputs, which NumPy lacks,
                    may be given as uint16 and uint8 arrays of raw bits.)
  --outputs <file>  Write the outputs to <file> as an uncompressed .npz
                    archive keyed by output name (np.load(file)["y"]), or as
                    a single .npy file if <file> ends in .npy and the model
                    has one output. bfloat16 and float8 outputs are stored
                    as uint16 and uint8 arrays of their raw bits.
  --bench <N>       Time N runs (after the warm-up runs) with a monotonic
                    clock and print three lines, in milliseconds:
                        median_ms <v>
                        min_ms <v>
                        max_ms <v>
                    The output summary is not printed. --outputs still
                    writes the outputs of the last run.
  --warmup <W>      Untimed runs before the timed ones (default 3; only
                    with --bench).
  --info            Print the model's name and each input and output with
                    its dtype and shape. On its own, exits without running
                    the model.
  -h, --help        Print this help.

Options may also be written --option=value.

GENERATED INPUTS
  Without --inputs, every input is filled with deterministic pseudo-random
  data, the same on every run and machine, so that benchmarks need no data
  files: input number i (0-based, in signature order) takes values from a
  SplitMix64 stream seeded with i:
    floating point (float16/32/64, bfloat16)  uniform in [-1, 1)
    float8 types                              finite, magnitude below 2
    int8, uint8                               uniform over the full range
    other integer types                       uniform in [0, 255]
    bool                                      0 or 1

EXIT STATUS
  0 on success; 1 if the model, an input file or the run fails (the message
  names the file or tensor at fault); 2 for a command-line error.

EXAMPLES
  qc-run model.so --info
  qc-run model.so --inputs in.npz --outputs out.npz
  qc-run model.so --bench 100 --warmup 10

  where in.npz comes from NumPy, for example:
    np.savez("in.npz", x=np.ones((1, 3, 224, 224), np.float32))
)HELP";

//===----------------------------------------------------------------------===//
// Messages
//===----------------------------------------------------------------------===//

void errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void errorf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::fputs("qc-run: error: ", stderr);
  std::vfprintf(stderr, fmt, ap);
  std::fputc('\n', stderr);
  va_end(ap);
}

void notef(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void notef(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::fputs("qc-run: note: ", stderr);
  std::vfprintf(stderr, fmt, ap);
  std::fputc('\n', stderr);
  va_end(ap);
}

/// A tensor or file name, with unprintable bytes escaped.
std::string printable(const std::string &s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(char(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

std::string shapeString(const int64_t *shape, size_t rank) {
  std::string s = "[";
  for (size_t i = 0; i < rank; ++i) {
    if (i)
      s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

/// NumPy's name for a dtype, for hints; nullptr if NumPy lacks it.
const char *numpyName(qc_dtype_t dtype) {
  switch (dtype) {
  case QC_DTYPE_FLOAT32:
    return "np.float32";
  case QC_DTYPE_FLOAT64:
    return "np.float64";
  case QC_DTYPE_FLOAT16:
    return "np.float16";
  case QC_DTYPE_UINT8:
    return "np.uint8";
  case QC_DTYPE_INT8:
    return "np.int8";
  case QC_DTYPE_UINT16:
    return "np.uint16";
  case QC_DTYPE_INT16:
    return "np.int16";
  case QC_DTYPE_UINT32:
    return "np.uint32";
  case QC_DTYPE_INT32:
    return "np.int32";
  case QC_DTYPE_UINT64:
    return "np.uint64";
  case QC_DTYPE_INT64:
    return "np.int64";
  case QC_DTYPE_BOOL:
    return "np.bool_";
  default:
    return nullptr;
  }
}

/// The dtype used to store `dtype` in a .npy file: itself, or the unsigned
/// integer type of the same width for types NumPy lacks.
qc_dtype_t storageDtype(qc_dtype_t dtype) {
  if (npz::npyDescr(dtype))
    return dtype;
  return qc_dtype_size(dtype) == 2 ? QC_DTYPE_UINT16 : QC_DTYPE_UINT8;
}

//===----------------------------------------------------------------------===//
// Numbers
//===----------------------------------------------------------------------===//

float bitsToFloat(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

uint32_t floatToBits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof(bits));
  return bits;
}

/// float32 -> IEEE binary16, rounding to nearest even.
uint16_t floatToHalf(float f) {
  uint32_t x = floatToBits(f);
  uint16_t sign = uint16_t((x >> 16) & 0x8000);
  uint32_t absx = x & 0x7fffffff;
  if (absx >= 0x7f800000) // Inf or NaN
    return uint16_t(sign | 0x7c00 | (absx > 0x7f800000 ? 0x200 : 0));
  if (absx >= 0x477ff000) // rounds to >= 65520: overflow
    return uint16_t(sign | 0x7c00);
  if (absx < 0x38800000) { // below the smallest normal half: subnormal
    float scaled = bitsToFloat(absx) * 16777216.0f; // * 2^24
    return uint16_t(sign | uint16_t(std::nearbyint(scaled)));
  }
  uint32_t mant = absx & 0x7fffff;
  uint32_t exp = (absx >> 23) - 127 + 15;
  uint32_t h = (exp << 10) | (mant >> 13);
  uint32_t rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
    ++h;
  return uint16_t(sign | h);
}

float halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  if (exp == 0)
    return (sign ? -1.0f : 1.0f) * float(mant) * (1.0f / 16777216.0f);
  if (exp == 31)
    return bitsToFloat(sign | 0x7f800000 | (mant << 13));
  return bitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
}

uint16_t floatToBfloat16(float f) {
  uint32_t x = floatToBits(f);
  if ((x & 0x7fffffff) > 0x7f800000)
    return uint16_t((x >> 16) | 0x40);
  x += 0x7fff + ((x >> 16) & 1);
  return uint16_t(x >> 16);
}

float bfloat16ToFloat(uint16_t b) { return bitsToFloat(uint32_t(b) << 16); }

/// float8 e4m3fn (bias 7, no infinities, NaN = S.1111.111) to float.
float f8e4m3fnToFloat(uint8_t v) {
  float sign = (v & 0x80) ? -1.0f : 1.0f;
  int exp = (v >> 3) & 0xf, mant = v & 0x7;
  if (exp == 0xf && mant == 0x7)
    return std::nanf("");
  if (exp == 0)
    return sign * std::ldexp(float(mant) / 8.0f, -6);
  return sign * std::ldexp(1.0f + float(mant) / 8.0f, exp - 7);
}

/// float8 e5m2 (bias 15, IEEE-like) to float.
float f8e5m2ToFloat(uint8_t v) { return halfToFloat(uint16_t(v) << 8); }

/// SplitMix64: a small, well-mixed deterministic generator.
struct SplitMix64 {
  uint64_t state;
  explicit SplitMix64(uint64_t seed) : state(seed) {}
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  /// Uniform in [-1, 1), with 24 bits of precision.
  float uniform() { return float(next() >> 40) / 8388608.0f - 1.0f; }
};

/// Fills `data` (`count` elements of `dtype`) as documented in --help.
void fillRandom(qc_dtype_t dtype, void *data, size_t count, uint64_t seed) {
  SplitMix64 rng(seed);
  uint8_t *p = static_cast<uint8_t *>(data);
  for (size_t i = 0; i < count; ++i) {
    switch (dtype) {
    case QC_DTYPE_FLOAT32: {
      float v = rng.uniform();
      std::memcpy(p + 4 * i, &v, 4);
      break;
    }
    case QC_DTYPE_FLOAT64: {
      double v = double(rng.next() >> 11) / 4503599627370496.0 - 1.0;
      std::memcpy(p + 8 * i, &v, 8);
      break;
    }
    case QC_DTYPE_FLOAT16: {
      uint16_t v = floatToHalf(rng.uniform());
      std::memcpy(p + 2 * i, &v, 2);
      break;
    }
    case QC_DTYPE_BFLOAT16: {
      uint16_t v = floatToBfloat16(rng.uniform());
      std::memcpy(p + 2 * i, &v, 2);
      break;
    }
    case QC_DTYPE_FLOAT8E4M3FN:
    case QC_DTYPE_FLOAT8E5M2:
      // Sign, and an exponent field with its top bit clear: finite, < 2.
      p[i] = uint8_t(rng.next() & 0xbf);
      break;
    case QC_DTYPE_INT8:
    case QC_DTYPE_UINT8:
      p[i] = uint8_t(rng.next());
      break;
    case QC_DTYPE_BOOL:
      p[i] = uint8_t(rng.next() & 1);
      break;
    default: {
      // Other integers: [0, 255], stored little-endian in their width.
      size_t size = qc_dtype_size(dtype);
      uint8_t v = uint8_t(rng.next());
      std::memset(p + size * i, 0, size);
      p[size * i] = v;
      break;
    }
    }
  }
}

/// Element `i` of a buffer of `dtype`, as text.
std::string elementString(qc_dtype_t dtype, const uint8_t *p, size_t i) {
  char buf[64];
  auto f = [&](double v) {
    std::snprintf(buf, sizeof(buf), "%g", v);
    return std::string(buf);
  };
  auto load = [&](auto v) {
    std::memcpy(&v, p + i * sizeof(v), sizeof(v));
    return v;
  };
  switch (dtype) {
  case QC_DTYPE_FLOAT32:
    return f(load(float()));
  case QC_DTYPE_FLOAT64:
    return f(load(double()));
  case QC_DTYPE_FLOAT16:
    return f(halfToFloat(load(uint16_t())));
  case QC_DTYPE_BFLOAT16:
    return f(bfloat16ToFloat(load(uint16_t())));
  case QC_DTYPE_FLOAT8E4M3FN:
    return f(f8e4m3fnToFloat(p[i]));
  case QC_DTYPE_FLOAT8E5M2:
    return f(f8e5m2ToFloat(p[i]));
  case QC_DTYPE_BOOL:
    return p[i] ? "true" : "false";
  case QC_DTYPE_INT8:
    return std::to_string(int(load(int8_t())));
  case QC_DTYPE_UINT8:
    return std::to_string(unsigned(p[i]));
  case QC_DTYPE_INT16:
    return std::to_string(load(int16_t()));
  case QC_DTYPE_UINT16:
    return std::to_string(load(uint16_t()));
  case QC_DTYPE_INT32:
    return std::to_string(load(int32_t()));
  case QC_DTYPE_UINT32:
    return std::to_string(load(uint32_t()));
  case QC_DTYPE_INT64:
    return std::to_string(load(int64_t()));
  case QC_DTYPE_UINT64:
    return std::to_string(load(uint64_t()));
  default:
    return "?";
  }
}

//===----------------------------------------------------------------------===//
// Buffers and the model
//===----------------------------------------------------------------------===//

/// A 64-byte aligned, zero-initialized buffer (never a null pointer, even
/// when empty, so that empty tensors have a valid data pointer).
class Buffer {
public:
  Buffer() = default;
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;
  Buffer(Buffer &&o) noexcept : ptr(o.ptr), bytes(o.bytes) {
    o.ptr = nullptr;
    o.bytes = 0;
  }
  ~Buffer() { std::free(ptr); }

  bool allocate(size_t n) {
    void *p = nullptr;
    if (posix_memalign(&p, 64, n ? n : 1) != 0)
      return false;
    std::memset(p, 0, n ? n : 1);
    std::free(ptr);
    ptr = p;
    bytes = n;
    return true;
  }
  uint8_t *data() const { return static_cast<uint8_t *>(ptr); }
  size_t size() const { return bytes; }

private:
  void *ptr = nullptr;
  size_t bytes = 0;
};

struct TensorDesc {
  std::string name;
  qc_dtype_t dtype;
  std::vector<int64_t> shape;
  size_t bytes;
};

/// Byte size of `desc`; the runtime has already checked it cannot overflow.
size_t byteSize(qc_dtype_t dtype, const std::vector<int64_t> &shape) {
  size_t n = qc_dtype_size(dtype);
  for (int64_t d : shape)
    n *= size_t(d);
  return n;
}

bool describe(const qc_model_t *model, bool input, size_t index,
              TensorDesc &desc) {
  qc_tensor_info_t info;
  qc_status_t st = input ? qc_model_input_info(model, index, &info)
                         : qc_model_output_info(model, index, &info);
  if (st != QC_OK) {
    errorf("%s", qc_last_error());
    return false;
  }
  desc.name = info.name;
  desc.dtype = info.dtype;
  desc.shape.assign(info.shape, info.shape + info.rank);
  desc.bytes = byteSize(desc.dtype, desc.shape);
  return true;
}

std::string describeTensor(const TensorDesc &d) {
  return printable(d.name) + ": " + qc_dtype_name(d.dtype) + " " +
         shapeString(d.shape.data(), d.shape.size());
}

std::string nameList(const std::vector<TensorDesc> &descs) {
  std::string s;
  for (const TensorDesc &d : descs)
    s += (s.empty() ? "'" : ", '") + printable(d.name) + "'";
  return s.empty() ? "none" : s;
}

void printInfo(const qc_model_t *model, const std::vector<TensorDesc> &inputs,
               const std::vector<TensorDesc> &outputs) {
  std::printf("model: %s\n", printable(qc_model_name(model)).c_str());
  std::printf("inputs (%zu):\n", inputs.size());
  for (const TensorDesc &d : inputs)
    std::printf("  %s\n", describeTensor(d).c_str());
  std::printf("outputs (%zu):\n", outputs.size());
  for (const TensorDesc &d : outputs)
    std::printf("  %s\n", describeTensor(d).c_str());
}

/// Reads `path` into one buffer per model input (in signature order).
bool loadInputs(const std::string &path, const std::vector<TensorDesc> &descs,
                const std::string &modelName, std::vector<Buffer> &buffers,
                std::vector<qc_tensor_t> &tensors,
                std::vector<std::vector<int64_t>> &shapes) {
  std::vector<npz::NamedArray> arrays;
  std::string error;
  // A .npy file (by its magic) feeds a single-input model.
  bool isNpy = false;
  if (FILE *f = std::fopen(path.c_str(), "rb")) {
    char magic[6] = {0};
    isNpy = std::fread(magic, 1, 6, f) == 6 &&
            std::memcmp(magic, "\x93NUMPY", 6) == 0;
    std::fclose(f);
  }
  if (isNpy) {
    if (descs.size() != 1) {
      errorf("%s is a .npy file, which can only feed a model with one input; "
             "model '%s' has %zu (%s): use an .npz archive",
             printable(path).c_str(), modelName.c_str(), descs.size(),
             nameList(descs).c_str());
      return false;
    }
    npz::NamedArray a;
    a.name = descs[0].name;
    if (!npz::readNpy(path, a.array, error)) {
      errorf("%s", printable(error).c_str());
      return false;
    }
    arrays.push_back(std::move(a));
  } else if (!npz::readNpz(path, arrays, error)) {
    errorf("%s", printable(error).c_str());
    return false;
  }

  // Names first, with the file for context.
  bool ok = true;
  for (const npz::NamedArray &a : arrays) {
    bool known =
        std::any_of(descs.begin(), descs.end(),
                    [&](const TensorDesc &d) { return d.name == a.name; });
    if (!known) {
      errorf("%s: array '%s' is not an input of model '%s' (its inputs are: "
             "%s)",
             printable(path).c_str(), printable(a.name).c_str(),
             modelName.c_str(), nameList(descs).c_str());
      ok = false;
    }
  }
  for (const TensorDesc &d : descs) {
    bool present =
        std::any_of(arrays.begin(), arrays.end(),
                    [&](const npz::NamedArray &a) { return a.name == d.name; });
    if (!present) {
      errorf("%s: missing input '%s' (%s %s)", printable(path).c_str(),
             printable(d.name).c_str(), qc_dtype_name(d.dtype),
             shapeString(d.shape.data(), d.shape.size()).c_str());
      ok = false;
    }
  }
  if (!ok)
    return false;

  // Dtypes and shapes, in signature order.
  buffers.resize(descs.size());
  tensors.resize(descs.size());
  shapes.resize(descs.size());
  for (size_t i = 0; i < descs.size(); ++i) {
    const TensorDesc &d = descs[i];
    npz::NamedArray *a = nullptr;
    for (npz::NamedArray &candidate : arrays)
      if (candidate.name == d.name)
        a = &candidate;
    qc_dtype_t dtype = a->array.dtype;
    // Raw bits for the types NumPy lacks.
    if (!npz::npyDescr(d.dtype) && dtype == storageDtype(d.dtype))
      dtype = d.dtype;
    if (dtype != d.dtype) {
      const char *np = numpyName(d.dtype);
      errorf("%s: input '%s': expected dtype %s, got %s%s%s%s",
             printable(path).c_str(), printable(d.name).c_str(),
             qc_dtype_name(d.dtype), qc_dtype_name(a->array.dtype),
             np ? " (convert it with .astype(" : "", np ? np : "",
             np ? "))" : "");
      return false;
    }
    if (a->array.shape != d.shape) {
      errorf("%s: input '%s': expected shape %s, got %s",
             printable(path).c_str(), printable(d.name).c_str(),
             shapeString(d.shape.data(), d.shape.size()).c_str(),
             shapeString(a->array.shape.data(), a->array.shape.size()).c_str());
      return false;
    }
    if (!buffers[i].allocate(a->array.data.size())) {
      errorf("out of memory for input '%s' (%zu bytes)",
             printable(d.name).c_str(), a->array.data.size());
      return false;
    }
    if (!a->array.data.empty())
      std::memcpy(buffers[i].data(), a->array.data.data(),
                  a->array.data.size());
    shapes[i] = a->array.shape;
    qc_tensor_t &t = tensors[i];
    t.name = d.name.c_str();
    t.dtype = dtype;
    t.rank = int32_t(shapes[i].size());
    t.shape = shapes[i].data();
    t.data = buffers[i].data();
    t.size_bytes = buffers[i].size();
  }
  return true;
}

/// Fills one buffer per model input with generated data.
bool generateInputs(const std::vector<TensorDesc> &descs,
                    std::vector<Buffer> &buffers,
                    std::vector<qc_tensor_t> &tensors) {
  buffers.resize(descs.size());
  tensors.resize(descs.size());
  for (size_t i = 0; i < descs.size(); ++i) {
    const TensorDesc &d = descs[i];
    if (!buffers[i].allocate(d.bytes)) {
      errorf("out of memory for input '%s' (%zu bytes)",
             printable(d.name).c_str(), d.bytes);
      return false;
    }
    fillRandom(d.dtype, buffers[i].data(), d.bytes / qc_dtype_size(d.dtype),
               uint64_t(i));
    qc_tensor_t &t = tensors[i];
    t.name = d.name.c_str();
    t.dtype = d.dtype;
    t.rank = int32_t(d.shape.size());
    t.shape = d.shape.data();
    t.data = buffers[i].data();
    t.size_bytes = buffers[i].size();
  }
  return true;
}

bool writeOutputs(const std::string &path, const std::vector<TensorDesc> &descs,
                  const std::vector<Buffer> &buffers) {
  std::vector<npz::ArrayView> views;
  for (size_t i = 0; i < descs.size(); ++i) {
    npz::ArrayView v;
    v.name = descs[i].name;
    v.dtype = storageDtype(descs[i].dtype);
    if (v.dtype != descs[i].dtype)
      notef("output '%s' is %s, which NumPy lacks; it is stored as %s raw "
            "bits",
            printable(v.name).c_str(), qc_dtype_name(descs[i].dtype),
            qc_dtype_name(v.dtype));
    v.shape = descs[i].shape;
    v.data = buffers[i].data();
    v.sizeBytes = buffers[i].size();
    views.push_back(std::move(v));
  }
  std::string error;
  // run() has checked that a .npy file is only used for a single output.
  bool npy = path.size() >= 4 && path.compare(path.size() - 4, 4, ".npy") == 0;
  if (npy ? !npz::writeNpy(path, views[0], error)
          : !npz::writeNpz(path, views, error)) {
    errorf("%s", printable(error).c_str());
    return false;
  }
  return true;
}

void printOutputs(const std::vector<TensorDesc> &descs,
                  const std::vector<Buffer> &buffers) {
  const size_t kShown = 16;
  for (size_t i = 0; i < descs.size(); ++i) {
    const TensorDesc &d = descs[i];
    size_t count = d.bytes / qc_dtype_size(d.dtype);
    std::string values;
    for (size_t j = 0; j < count && j < kShown; ++j)
      values += (j ? ", " : "") + elementString(d.dtype, buffers[i].data(), j);
    if (count > kShown)
      values += ", ...";
    bool scalar = d.shape.empty();
    std::printf("%s = %s%s%s\n", describeTensor(d).c_str(), scalar ? "" : "[",
                values.c_str(), scalar ? "" : "]");
  }
}

//===----------------------------------------------------------------------===//
// Command line
//===----------------------------------------------------------------------===//

struct Options {
  std::string model;
  std::string inputs;
  std::string outputs;
  long bench = 0;
  long warmup = 3;
  bool warmupGiven = false;
  bool info = false;
  bool help = false;
};

bool parseCount(const std::string &option, const std::string &text, long min,
                long &out) {
  const long kMax = 1000000000;
  bool ok = !text.empty() && text.size() <= 10 &&
            std::all_of(text.begin(), text.end(),
                        [](char c) { return c >= '0' && c <= '9'; });
  long v = ok ? std::strtol(text.c_str(), nullptr, 10) : 0;
  if (!ok || v < min || v > kMax) {
    errorf("%s expects %s integer up to %ld, got '%s'", option.c_str(),
           min > 0 ? "a positive" : "a non-negative", kMax,
           printable(text).c_str());
    return false;
  }
  out = v;
  return true;
}

/// Returns 0 on success, else the exit status.
int parseArgs(int argc, char **argv, Options &opts) {
  std::vector<std::string> positional;
  bool onlyPositional = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (onlyPositional || arg.empty() || arg[0] != '-' || arg == "-") {
      positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      onlyPositional = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      opts.help = true;
      continue;
    }
    if (arg == "--info") {
      opts.info = true;
      continue;
    }
    std::string name = arg, value;
    bool hasValue = false;
    size_t eq = arg.find('=');
    if (arg.compare(0, 2, "--") == 0 && eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      hasValue = true;
    }
    if (name != "--inputs" && name != "--outputs" && name != "--bench" &&
        name != "--warmup") {
      errorf("unknown option '%s' (see qc-run --help)", printable(arg).c_str());
      return 2;
    }
    if (!hasValue) {
      if (i + 1 >= argc) {
        errorf("%s needs a value (see qc-run --help)", name.c_str());
        return 2;
      }
      value = argv[++i];
    }
    if (name == "--inputs") {
      opts.inputs = value;
    } else if (name == "--outputs") {
      opts.outputs = value;
    } else if (name == "--bench") {
      if (!parseCount(name, value, 1, opts.bench))
        return 2;
    } else {
      if (!parseCount(name, value, 0, opts.warmup))
        return 2;
      opts.warmupGiven = true;
    }
    if ((name == "--inputs" || name == "--outputs") && value.empty()) {
      errorf("%s needs a file name", name.c_str());
      return 2;
    }
  }
  if (opts.help)
    return 0;
  if (positional.size() != 1) {
    if (positional.empty())
      errorf("no model given\nusage: qc-run <model.so> [--inputs in.npz] "
             "[--outputs out.npz] [--bench N] [--warmup W] [--info] [--help]");
    else
      errorf("expected one model, got %zu arguments: '%s', '%s'%s",
             positional.size(), printable(positional[0]).c_str(),
             printable(positional[1]).c_str(),
             positional.size() > 2 ? ", ..." : "");
    return 2;
  }
  if (opts.warmupGiven && opts.bench == 0) {
    errorf("--warmup only applies with --bench");
    return 2;
  }
  opts.model = positional[0];
  return 0;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int run(const Options &opts) {
  qc_model_t *model = nullptr;
  if (qc_model_open(opts.model.c_str(), &model) != QC_OK) {
    errorf("%s", qc_last_error());
    return 1;
  }
  struct Closer {
    qc_model_t *m;
    ~Closer() { qc_model_close(m); }
  } closer{model};
  std::string modelName = printable(qc_model_name(model));

  std::vector<TensorDesc> inputs(qc_model_num_inputs(model));
  std::vector<TensorDesc> outputs(qc_model_num_outputs(model));
  for (size_t i = 0; i < inputs.size(); ++i)
    if (!describe(model, true, i, inputs[i]))
      return 1;
  for (size_t i = 0; i < outputs.size(); ++i)
    if (!describe(model, false, i, outputs[i]))
      return 1;

  // Catch a bad --outputs choice before running anything.
  if (!opts.outputs.empty() && outputs.size() != 1 &&
      opts.outputs.size() >= 4 &&
      opts.outputs.compare(opts.outputs.size() - 4, 4, ".npy") == 0) {
    errorf("%s: a .npy file holds one array but model '%s' has %zu outputs "
           "(%s); use an .npz file",
           printable(opts.outputs).c_str(), modelName.c_str(), outputs.size(),
           nameList(outputs).c_str());
    return 1;
  }

  if (opts.info) {
    printInfo(model, inputs, outputs);
    if (opts.inputs.empty() && opts.outputs.empty() && opts.bench == 0)
      return 0;
  }

  std::vector<Buffer> inBuffers, outBuffers(outputs.size());
  std::vector<qc_tensor_t> inTensors, outTensors(outputs.size());
  std::vector<std::vector<int64_t>> inShapes;
  if (!opts.inputs.empty()) {
    if (!loadInputs(opts.inputs, inputs, modelName, inBuffers, inTensors,
                    inShapes))
      return 1;
  } else if (!generateInputs(inputs, inBuffers, inTensors)) {
    return 1;
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (!outBuffers[i].allocate(outputs[i].bytes)) {
      errorf("out of memory for output '%s' (%zu bytes)",
             printable(outputs[i].name).c_str(), outputs[i].bytes);
      return 1;
    }
    qc_tensor_t &t = outTensors[i];
    t.name = outputs[i].name.c_str();
    t.dtype = outputs[i].dtype;
    t.rank = int32_t(outputs[i].shape.size());
    t.shape = outputs[i].shape.data();
    t.data = outBuffers[i].data();
    t.size_bytes = outBuffers[i].size();
  }

  auto runOnce = [&]() {
    if (qc_model_run(model, inTensors.data(), inTensors.size(),
                     outTensors.data(), outTensors.size()) != QC_OK) {
      errorf("%s", qc_last_error());
      return false;
    }
    return true;
  };

  if (opts.bench > 0) {
    for (long i = 0; i < opts.warmup; ++i)
      if (!runOnce())
        return 1;
    std::vector<double> ms;
    ms.reserve(size_t(opts.bench));
    for (long i = 0; i < opts.bench; ++i) {
      auto start = std::chrono::steady_clock::now();
      if (!runOnce())
        return 1;
      auto end = std::chrono::steady_clock::now();
      ms.push_back(
          std::chrono::duration<double, std::milli>(end - start).count());
    }
    std::printf("median_ms %.6f\n", median(ms));
    std::printf("min_ms %.6f\n", *std::min_element(ms.begin(), ms.end()));
    std::printf("max_ms %.6f\n", *std::max_element(ms.begin(), ms.end()));
  } else if (!runOnce()) {
    return 1;
  }

  if (!opts.outputs.empty()) {
    if (!writeOutputs(opts.outputs, outputs, outBuffers))
      return 1;
  } else if (opts.bench == 0) {
    printOutputs(outputs, outBuffers);
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  Options opts;
  if (int status = parseArgs(argc, argv, opts))
    return status;
  if (opts.help) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  int status = run(opts);
  if (std::fflush(stdout) != 0) {
    errorf("cannot write to standard output");
    return 1;
  }
  return status;
}
