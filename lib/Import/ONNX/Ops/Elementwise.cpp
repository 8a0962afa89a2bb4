//===- Elementwise.cpp - ONNX elementwise ops -----------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Unary, binary and variadic elementwise ops with numpy broadcasting, each
// imported as one linalg.generic, or folded on the host when every input is
// known at compile time (shape arithmetic).
//
//===----------------------------------------------------------------------===//

#include "OpHelpers.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::onnx_import;

namespace {

/// Scalar code for one element: `args` are the input scalars, `dtypes` their
/// ONNX dtypes.
using ScalarFn = std::function<Value(OpBuilder &, Location, ValueRange,
                                     ArrayRef<ONNXDType>)>;
/// Host code for one element: floats as doubles, integers as int64.
using HostFloatFn = std::function<double(ArrayRef<double>)>;
using HostIntFn = std::function<int64_t(ArrayRef<int64_t>)>;
/// Result dtype from the input dtypes.
using DTypeFn = std::function<ONNXDType(ArrayRef<ONNXDType>)>;

ONNXDType sameAsFirst(ArrayRef<ONNXDType> dtypes) { return dtypes[0]; }
ONNXDType boolResult(ArrayRef<ONNXDType>) { return ONNXDType::Bool; }

/// Small helper for building per-dtype arithmetic.
struct Arith {
  OpBuilder &b;
  Location loc;
  ONNXDType dtype;

  bool isFloat() const { return isFloatDType(dtype); }
  bool isUnsigned() const { return isUnsignedDType(dtype); }
  Value cst(Type type, double v) {
    return createScalarConstant(b, loc, type, v);
  }

  Value add(Value x, Value y) {
    return isFloat() ? Value(arith::AddFOp::create(b, loc, x, y))
                     : Value(arith::AddIOp::create(b, loc, x, y));
  }
  Value sub(Value x, Value y) {
    return isFloat() ? Value(arith::SubFOp::create(b, loc, x, y))
                     : Value(arith::SubIOp::create(b, loc, x, y));
  }
  Value mul(Value x, Value y) {
    return isFloat() ? Value(arith::MulFOp::create(b, loc, x, y))
                     : Value(arith::MulIOp::create(b, loc, x, y));
  }
  /// Integer division never traps: x / 0 gives 0 and INT_MIN / -1 wraps.
  Value div(Value x, Value y) {
    if (isFloat())
      return arith::DivFOp::create(b, loc, x, y);
    Type t = x.getType();
    Value zero = cst(t, 0), one = cst(t, 1);
    Value isZero =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, y, zero);
    Value safeY = arith::SelectOp::create(b, loc, isZero, one, y);
    Value q;
    if (isUnsigned()) {
      q = arith::DivUIOp::create(b, loc, x, safeY);
    } else {
      Value minusOne = cst(t, -1);
      Value isMinusOne = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                               safeY, minusOne);
      Value negX = arith::SubIOp::create(b, loc, zero, x);
      Value safeY2 = arith::SelectOp::create(b, loc, isMinusOne, one, safeY);
      q = arith::DivSIOp::create(b, loc, x, safeY2);
      q = arith::SelectOp::create(b, loc, isMinusOne, negX, q);
    }
    return arith::SelectOp::create(b, loc, isZero, zero, q);
  }
  Value max(Value x, Value y) {
    if (isFloat())
      return arith::MaximumFOp::create(b, loc, x, y);
    if (dtype == ONNXDType::Bool || isUnsigned())
      return arith::MaxUIOp::create(b, loc, x, y);
    return arith::MaxSIOp::create(b, loc, x, y);
  }
  Value min(Value x, Value y) {
    if (isFloat())
      return arith::MinimumFOp::create(b, loc, x, y);
    if (dtype == ONNXDType::Bool || isUnsigned())
      return arith::MinUIOp::create(b, loc, x, y);
    return arith::MinSIOp::create(b, loc, x, y);
  }
  Value cmp(StringRef kind, Value x, Value y) {
    if (isFloat()) {
      auto p = llvm::StringSwitch<arith::CmpFPredicate>(kind)
                   .Case("eq", arith::CmpFPredicate::OEQ)
                   .Case("lt", arith::CmpFPredicate::OLT)
                   .Case("le", arith::CmpFPredicate::OLE)
                   .Case("gt", arith::CmpFPredicate::OGT)
                   .Default(arith::CmpFPredicate::OGE);
      return arith::CmpFOp::create(b, loc, p, x, y);
    }
    bool u = isUnsigned() || dtype == ONNXDType::Bool;
    auto p =
        llvm::StringSwitch<arith::CmpIPredicate>(kind)
            .Case("eq", arith::CmpIPredicate::eq)
            .Case("lt",
                  u ? arith::CmpIPredicate::ult : arith::CmpIPredicate::slt)
            .Case("le",
                  u ? arith::CmpIPredicate::ule : arith::CmpIPredicate::sle)
            .Case("gt",
                  u ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt)
            .Default(u ? arith::CmpIPredicate::uge : arith::CmpIPredicate::sge);
    return arith::CmpIOp::create(b, loc, p, x, y);
  }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y);
  }
};

/// Imports an elementwise op over the node's inputs [0, numInputs) (all of
/// them if `numInputs` is 0).
LogicalResult importElementwise(NodeContext &ctx, unsigned numInputs,
                                DTypeFn resultDType, ScalarFn scalar,
                                HostFloatFn hostFloat = nullptr,
                                HostIntFn hostInt = nullptr) {
  if (numInputs == 0)
    numInputs = ctx.numInputs();
  if (numInputs == 0)
    return ctx.error("needs at least one input");
  SmallVector<ImportedValue> inputs;
  SmallVector<SmallVector<int64_t>> shapes;
  SmallVector<ONNXDType> dtypes;
  for (unsigned i = 0; i < numInputs; ++i) {
    FailureOr<ImportedValue> v = ctx.input(i);
    if (failed(v))
      return failure();
    inputs.push_back(*v);
    shapes.push_back(v->shape);
    dtypes.push_back(v->dtype);
  }
  ONNXDType outDType = resultDType(dtypes);
  FailureOr<SmallVector<int64_t>> outShape = broadcastShapes(ctx, shapes);
  if (failed(outShape))
    return failure();

  // Fold on the host when every input is known.
  bool allHost = llvm::all_of(
      inputs, [](const ImportedValue &v) { return v.host != nullptr; });
  bool floatIn = isFloatDType(dtypes[0]);
  if (allHost && ((floatIn && hostFloat) || (!floatIn && hostInt))) {
    SmallVector<const HostTensor *> hosts;
    for (const ImportedValue &v : inputs)
      hosts.push_back(v.host.get());
    bool floatOut = isFloatDType(outDType);
    std::optional<HostTensor> folded = foldElementwiseOnHost(
        hosts, *outShape, outDType,
        [&](HostTensor &out, int64_t n, ArrayRef<int64_t> idx) {
          if (floatIn) {
            SmallVector<double> args;
            for (size_t k = 0; k < hosts.size(); ++k)
              args.push_back(hosts[k]->getDouble(idx[k]));
            double r = hostFloat(args);
            if (floatOut)
              out.floats[n] = roundToDType(r, outDType);
            else
              out.ints[n] = static_cast<int64_t>(r);
          } else {
            SmallVector<int64_t> args;
            for (size_t k = 0; k < hosts.size(); ++k)
              args.push_back(hosts[k]->getInt(idx[k]));
            int64_t r = hostInt(args);
            if (floatOut)
              out.floats[n] = roundToDType(static_cast<double>(r), outDType);
            else
              out.ints[n] = wrapToDType(r, outDType);
          }
        });
    if (folded) {
      ctx.setHostOutput(0, std::move(*folded));
      return success();
    }
  }

  SmallVector<Value> values;
  for (unsigned i = 0; i < numInputs; ++i) {
    Value v = ctx.inputValue(i);
    if (!v)
      return failure();
    values.push_back(v);
  }
  Type outType = ctx.elementType(outDType);
  if (!outType)
    return failure();
  Value result =
      buildElementwise(ctx.builder(), ctx.loc(), values, *outShape, outType,
                       [&](OpBuilder &b, Location loc, ValueRange args) {
                         return scalar(b, loc, args, dtypes);
                       });
  ctx.setOutput(0, result, outDType);
  return success();
}

/// Registers a unary float op built from `fn(Arith&, x)`.
void addUnary(OpRegistry &r, StringRef name,
              std::function<Value(Arith &, Value, NodeContext &)> fn,
              HostFloatFn hostFloat = nullptr, HostIntFn hostInt = nullptr) {
  r.add(name, [=](NodeContext &ctx) {
    return importElementwise(
        ctx, 1, sameAsFirst,
        [&](OpBuilder &b, Location loc, ValueRange args,
            ArrayRef<ONNXDType> dtypes) {
          Arith a{b, loc, dtypes[0]};
          return fn(a, args[0], ctx);
        },
        hostFloat, hostInt);
  });
}

double attr(NodeContext &ctx, StringRef name, double defaultValue) {
  return ctx.attrFloat(name, defaultValue);
}

} // namespace

void mlir::qc::onnx_import::registerElementwiseOps(OpRegistry &r) {
  //===--- Binary arithmetic (numpy broadcasting)
  //--------------------------===//
  auto binary = [&](StringRef name,
                    std::function<Value(Arith &, Value, Value)> fn,
                    HostFloatFn hf, HostIntFn hi) {
    r.add(name, [=](NodeContext &ctx) {
      if (ctx.numInputs() != 2)
        return ctx.error("expects 2 inputs");
      return importElementwise(
          ctx, 2, sameAsFirst,
          [&](OpBuilder &b, Location loc, ValueRange args,
              ArrayRef<ONNXDType> dtypes) {
            Arith a{b, loc, dtypes[0]};
            return fn(a, args[0], args[1]);
          },
          hf, hi);
    });
  };
  binary(
      "Add", [](Arith &a, Value x, Value y) { return a.add(x, y); },
      [](ArrayRef<double> v) { return v[0] + v[1]; },
      [](ArrayRef<int64_t> v) { return v[0] + v[1]; });
  binary(
      "Sub", [](Arith &a, Value x, Value y) { return a.sub(x, y); },
      [](ArrayRef<double> v) { return v[0] - v[1]; },
      [](ArrayRef<int64_t> v) { return v[0] - v[1]; });
  binary(
      "Mul", [](Arith &a, Value x, Value y) { return a.mul(x, y); },
      [](ArrayRef<double> v) { return v[0] * v[1]; },
      [](ArrayRef<int64_t> v) { return v[0] * v[1]; });
  binary(
      "Div", [](Arith &a, Value x, Value y) { return a.div(x, y); },
      [](ArrayRef<double> v) { return v[0] / v[1]; },
      [](ArrayRef<int64_t> v) -> int64_t {
        if (v[1] == 0)
          return 0;
        if (v[1] == -1)
          return -v[0];
        return v[0] / v[1];
      });

  // Pow: the result has the base's type; the exponent may differ.
  r.add("Pow", [](NodeContext &ctx) {
    return importElementwise(
        ctx, 2, sameAsFirst,
        [](OpBuilder &b, Location loc, ValueRange args,
           ArrayRef<ONNXDType> dtypes) -> Value {
          Type baseType = args[0].getType();
          Type work = isFloatDType(dtypes[0]) ? baseType : b.getF64Type();
          Value x = castScalar(b, loc, args[0], dtypes[0],
                               isFloatDType(dtypes[0]) ? dtypes[0]
                                                       : ONNXDType::Double);
          Value y =
              convertScalar(b, loc, args[1], work, isUnsignedDType(dtypes[1]));
          Value r = math::PowFOp::create(b, loc, x, y);
          if (work == baseType)
            return r;
          return castScalar(b, loc, r, ONNXDType::Double, dtypes[0]);
        },
        [](ArrayRef<double> v) { return std::pow(v[0], v[1]); },
        [](ArrayRef<int64_t> v) {
          return static_cast<int64_t>(
              std::pow(static_cast<double>(v[0]), static_cast<double>(v[1])));
        });
  });

  // Mod: fmod=1 is C's remainder (sign of the dividend); fmod=0 (integers
  // only) takes the sign of the divisor, as Python does.
  r.add("Mod", [](NodeContext &ctx) {
    bool fmod = ctx.attrInt("fmod", 0) != 0;
    return importElementwise(
        ctx, 2, sameAsFirst,
        [fmod](OpBuilder &b, Location loc, ValueRange args,
               ArrayRef<ONNXDType> dtypes) -> Value {
          Arith a{b, loc, dtypes[0]};
          Value x = args[0], y = args[1];
          if (a.isFloat())
            return arith::RemFOp::create(b, loc, x, y);
          Type t = x.getType();
          Value zero = a.cst(t, 0);
          Value isZero =
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, y, zero);
          Value safeY = a.select(isZero, a.cst(t, 1), y);
          Value r = a.isUnsigned()
                        ? Value(arith::RemUIOp::create(b, loc, x, safeY))
                        : Value(arith::RemSIOp::create(b, loc, x, safeY));
          if (!fmod && !a.isUnsigned()) {
            // Python: add the divisor when the signs differ and r != 0.
            Value rNeg = arith::CmpIOp::create(
                b, loc, arith::CmpIPredicate::slt, r, zero);
            Value yNeg = arith::CmpIOp::create(
                b, loc, arith::CmpIPredicate::slt, safeY, zero);
            Value differ = arith::XOrIOp::create(b, loc, rNeg, yNeg);
            Value nonZero = arith::CmpIOp::create(
                b, loc, arith::CmpIPredicate::ne, r, zero);
            Value fix = arith::AndIOp::create(b, loc, differ, nonZero);
            r = a.select(fix, arith::AddIOp::create(b, loc, r, safeY), r);
          }
          return a.select(isZero, zero, r);
        },
        [](ArrayRef<double> v) { return std::fmod(v[0], v[1]); },
        [fmod](ArrayRef<int64_t> v) -> int64_t {
          if (v[1] == 0)
            return 0;
          int64_t m = v[0] % v[1];
          if (!fmod && m != 0 && ((m < 0) != (v[1] < 0)))
            m += v[1];
          return m;
        });
  });

  //===--- Variadic -------------------------------------------------------===//
  auto variadic = [&](StringRef name,
                      std::function<Value(Arith &, ValueRange)> fn,
                      HostFloatFn hf, HostIntFn hi) {
    r.add(name, [=](NodeContext &ctx) {
      return importElementwise(
          ctx, 0, sameAsFirst,
          [&](OpBuilder &b, Location loc, ValueRange args,
              ArrayRef<ONNXDType> dtypes) {
            Arith a{b, loc, dtypes[0]};
            return fn(a, args);
          },
          hf, hi);
    });
  };
  variadic(
      "Max",
      [](Arith &a, ValueRange v) {
        Value r = v[0];
        for (Value x : v.drop_front())
          r = a.max(r, x);
        return r;
      },
      [](ArrayRef<double> v) {
        double r = v[0];
        for (double x : v)
          r = std::isnan(r) || std::isnan(x) ? NAN : std::max(r, x);
        return r;
      },
      [](ArrayRef<int64_t> v) {
        return *std::max_element(v.begin(), v.end());
      });
  variadic(
      "Min",
      [](Arith &a, ValueRange v) {
        Value r = v[0];
        for (Value x : v.drop_front())
          r = a.min(r, x);
        return r;
      },
      [](ArrayRef<double> v) {
        double r = v[0];
        for (double x : v)
          r = std::isnan(r) || std::isnan(x) ? NAN : std::min(r, x);
        return r;
      },
      [](ArrayRef<int64_t> v) {
        return *std::min_element(v.begin(), v.end());
      });
  variadic(
      "Sum",
      [](Arith &a, ValueRange v) {
        Value r = v[0];
        for (Value x : v.drop_front())
          r = a.add(r, x);
        return r;
      },
      [](ArrayRef<double> v) {
        double r = 0;
        for (double x : v)
          r += x;
        return r;
      },
      [](ArrayRef<int64_t> v) {
        int64_t r = 0;
        for (int64_t x : v)
          r += x;
        return r;
      });
  variadic(
      "Mean",
      [](Arith &a, ValueRange v) {
        Value r = v[0];
        for (Value x : v.drop_front())
          r = a.add(r, x);
        return a.div(r, a.cst(r.getType(), double(v.size())));
      },
      [](ArrayRef<double> v) {
        double r = 0;
        for (double x : v)
          r += x;
        return r / double(v.size());
      },
      nullptr);

  //===--- Comparison and logic -------------------------------------------===//
  auto compare = [&](StringRef name, StringRef kind,
                     std::function<bool(double, double)> f) {
    r.add(name, [=](NodeContext &ctx) {
      return importElementwise(
          ctx, 2, boolResult,
          [&](OpBuilder &b, Location loc, ValueRange args,
              ArrayRef<ONNXDType> dtypes) {
            Arith a{b, loc, dtypes[0]};
            return a.cmp(kind, args[0], args[1]);
          },
          [f](ArrayRef<double> v) { return double(f(v[0], v[1])); },
          [f](ArrayRef<int64_t> v) {
            return int64_t(f(double(v[0]), double(v[1])));
          });
    });
  };
  compare("Equal", "eq", [](double x, double y) { return x == y; });
  compare("Less", "lt", [](double x, double y) { return x < y; });
  compare("LessOrEqual", "le", [](double x, double y) { return x <= y; });
  compare("Greater", "gt", [](double x, double y) { return x > y; });
  compare("GreaterOrEqual", "ge", [](double x, double y) { return x >= y; });

  auto logic = [&](StringRef name,
                   std::function<Value(OpBuilder &, Location, Value, Value)> fn,
                   std::function<int64_t(int64_t, int64_t)> h) {
    r.add(name, [=](NodeContext &ctx) {
      return importElementwise(
          ctx, 2, boolResult,
          [&](OpBuilder &b, Location loc, ValueRange args,
              ArrayRef<ONNXDType>) { return fn(b, loc, args[0], args[1]); },
          nullptr, [h](ArrayRef<int64_t> v) { return h(v[0], v[1]); });
    });
  };
  logic(
      "And",
      [](OpBuilder &b, Location l, Value x, Value y) -> Value {
        return arith::AndIOp::create(b, l, x, y);
      },
      [](int64_t x, int64_t y) { return int64_t(x && y); });
  logic(
      "Or",
      [](OpBuilder &b, Location l, Value x, Value y) -> Value {
        return arith::OrIOp::create(b, l, x, y);
      },
      [](int64_t x, int64_t y) { return int64_t(x || y); });
  logic(
      "Xor",
      [](OpBuilder &b, Location l, Value x, Value y) -> Value {
        return arith::XOrIOp::create(b, l, x, y);
      },
      [](int64_t x, int64_t y) { return int64_t(bool(x) != bool(y)); });
  r.add("Not", [](NodeContext &ctx) {
    return importElementwise(
        ctx, 1, boolResult,
        [](OpBuilder &b, Location loc, ValueRange args,
           ArrayRef<ONNXDType>) -> Value {
          Value one = createScalarConstant(b, loc, b.getI1Type(), 1);
          return arith::XOrIOp::create(b, loc, args[0], one);
        },
        nullptr, [](ArrayRef<int64_t> v) { return int64_t(!v[0]); });
  });

  r.add("Where", [](NodeContext &ctx) {
    return importElementwise(
        ctx, 3, [](ArrayRef<ONNXDType> d) { return d[1]; },
        [](OpBuilder &b, Location loc, ValueRange args,
           ArrayRef<ONNXDType>) -> Value {
          return arith::SelectOp::create(b, loc, args[0], args[1], args[2]);
        },
        nullptr, [](ArrayRef<int64_t> v) { return v[0] ? v[1] : v[2]; });
  });

  //===--- Unary math -----------------------------------------------------===//
  addUnary(
      r, "Abs",
      [](Arith &a, Value x, NodeContext &) -> Value {
        if (a.isFloat())
          return math::AbsFOp::create(a.b, a.loc, x);
        if (a.isUnsigned())
          return x;
        return math::AbsIOp::create(a.b, a.loc, x);
      },
      [](ArrayRef<double> v) { return std::fabs(v[0]); },
      [](ArrayRef<int64_t> v) { return v[0] < 0 ? -v[0] : v[0]; });
  addUnary(
      r, "Neg",
      [](Arith &a, Value x, NodeContext &) -> Value {
        if (a.isFloat())
          return arith::NegFOp::create(a.b, a.loc, x);
        return a.sub(a.cst(x.getType(), 0), x);
      },
      [](ArrayRef<double> v) { return -v[0]; },
      [](ArrayRef<int64_t> v) { return -v[0]; });
  auto floatUnary = [&](StringRef name,
                        std::function<Value(OpBuilder &, Location, Value)> fn,
                        HostFloatFn hf) {
    addUnary(
        r, name,
        [fn](Arith &a, Value x, NodeContext &) { return fn(a.b, a.loc, x); },
        hf);
  };
#define QC_MATH_UNARY(NAME, OP, HOST)                                          \
  floatUnary(                                                                  \
      NAME,                                                                    \
      [](OpBuilder &b, Location l, Value x) -> Value {                         \
        return math::OP::create(b, l, x);                                      \
      },                                                                       \
      [](ArrayRef<double> v) { return HOST(v[0]); });
  QC_MATH_UNARY("Floor", FloorOp, std::floor)
  QC_MATH_UNARY("Ceil", CeilOp, std::ceil)
  QC_MATH_UNARY("Round", RoundEvenOp, std::nearbyint)
  QC_MATH_UNARY("Sqrt", SqrtOp, std::sqrt)
  QC_MATH_UNARY("Exp", ExpOp, std::exp)
  QC_MATH_UNARY("Log", LogOp, std::log)
  QC_MATH_UNARY("Erf", ErfOp, std::erf)
  QC_MATH_UNARY("Tanh", TanhOp, std::tanh)
  QC_MATH_UNARY("Sin", SinOp, std::sin)
  QC_MATH_UNARY("Cos", CosOp, std::cos)
  QC_MATH_UNARY("Tan", TanOp, std::tan)
  QC_MATH_UNARY("Asin", AsinOp, std::asin)
  QC_MATH_UNARY("Acos", AcosOp, std::acos)
  QC_MATH_UNARY("Atan", AtanOp, std::atan)
  QC_MATH_UNARY("Sinh", SinhOp, std::sinh)
  QC_MATH_UNARY("Cosh", CoshOp, std::cosh)
  QC_MATH_UNARY("Asinh", AsinhOp, std::asinh)
  QC_MATH_UNARY("Acosh", AcoshOp, std::acosh)
  QC_MATH_UNARY("Atanh", AtanhOp, std::atanh)
#undef QC_MATH_UNARY
  floatUnary(
      "Reciprocal",
      [](OpBuilder &b, Location l, Value x) -> Value {
        return arith::DivFOp::create(
            b, l, createScalarConstant(b, l, x.getType(), 1.0), x);
      },
      [](ArrayRef<double> v) { return 1.0 / v[0]; });
  floatUnary(
      "Sigmoid",
      [](OpBuilder &b, Location l, Value x) -> Value {
        Value one = createScalarConstant(b, l, x.getType(), 1.0);
        Value e = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, x));
        return arith::DivFOp::create(b, l, one,
                                     arith::AddFOp::create(b, l, one, e));
      },
      [](ArrayRef<double> v) { return 1.0 / (1.0 + std::exp(-v[0])); });
  floatUnary(
      "Softplus",
      [](OpBuilder &b, Location l, Value x) -> Value {
        return math::Log1pOp::create(b, l, math::ExpOp::create(b, l, x));
      },
      [](ArrayRef<double> v) { return std::log1p(std::exp(v[0])); });
  floatUnary(
      "Softsign",
      [](OpBuilder &b, Location l, Value x) -> Value {
        Value one = createScalarConstant(b, l, x.getType(), 1.0);
        Value d =
            arith::AddFOp::create(b, l, one, math::AbsFOp::create(b, l, x));
        return arith::DivFOp::create(b, l, x, d);
      },
      [](ArrayRef<double> v) { return v[0] / (1.0 + std::fabs(v[0])); });
  addUnary(
      r, "Sign",
      [](Arith &a, Value x, NodeContext &) -> Value {
        Type t = x.getType();
        Value zero = a.cst(t, 0), one = a.cst(t, 1);
        Value pos = a.cmp("gt", x, zero);
        Value neg = a.cmp("lt", x, zero);
        Value minusOne = a.isUnsigned() ? zero : a.cst(t, -1);
        return a.select(pos, one, a.select(neg, minusOne, zero));
      },
      [](ArrayRef<double> v) { return double((v[0] > 0) - (v[0] < 0)); },
      [](ArrayRef<int64_t> v) { return int64_t((v[0] > 0) - (v[0] < 0)); });

  //===--- Activations ----------------------------------------------------===//
  addUnary(
      r, "Relu",
      [](Arith &a, Value x, NodeContext &) {
        return a.max(x, a.cst(x.getType(), 0));
      },
      [](ArrayRef<double> v) {
        return std::isnan(v[0]) ? v[0] : std::max(v[0], 0.0);
      },
      [](ArrayRef<int64_t> v) { return std::max<int64_t>(v[0], 0); });
  addUnary(r, "LeakyRelu", [](Arith &a, Value x, NodeContext &ctx) -> Value {
    Value alpha = a.cst(x.getType(), attr(ctx, "alpha", 0.01));
    Value neg = a.cmp("lt", x, a.cst(x.getType(), 0));
    return a.select(neg, a.mul(alpha, x), x);
  });
  addUnary(r, "ThresholdedRelu",
           [](Arith &a, Value x, NodeContext &ctx) -> Value {
             Value alpha = a.cst(x.getType(), attr(ctx, "alpha", 1.0));
             Value above = a.cmp("gt", x, alpha);
             return a.select(above, x, a.cst(x.getType(), 0));
           });
  auto hardSigmoid = [](Arith &a, Value x, double alpha, double beta) {
    Type t = x.getType();
    // One op per statement: a fixed creation order whatever the compiler.
    Value scaled = a.mul(a.cst(t, alpha), x);
    Value y = a.add(scaled, a.cst(t, beta));
    Value zero = a.cst(t, 0);
    Value upper = a.min(a.cst(t, 1), y);
    return a.max(zero, upper);
  };
  addUnary(r, "HardSigmoid",
           [hardSigmoid](Arith &a, Value x, NodeContext &ctx) {
             return hardSigmoid(a, x, attr(ctx, "alpha", 0.2),
                                attr(ctx, "beta", 0.5));
           });
  addUnary(r, "HardSwish", [hardSigmoid](Arith &a, Value x, NodeContext &) {
    return a.mul(x, hardSigmoid(a, x, 1.0 / 6.0, 0.5));
  });
  auto expm1 = [](Arith &a, Value x) -> Value {
    return math::ExpM1Op::create(a.b, a.loc, x);
  };
  addUnary(r, "Elu", [expm1](Arith &a, Value x, NodeContext &ctx) {
    Type t = x.getType();
    Value alpha = a.cst(t, attr(ctx, "alpha", 1.0));
    Value negative = a.cmp("lt", x, a.cst(t, 0));
    return a.select(negative, a.mul(alpha, expm1(a, x)), x);
  });
  addUnary(r, "Selu", [expm1](Arith &a, Value x, NodeContext &ctx) {
    Type t = x.getType();
    Value alpha = a.cst(t, attr(ctx, "alpha", 1.67326319217681884765625));
    Value gamma = a.cst(t, attr(ctx, "gamma", 1.05070102214813232421875));
    Value neg = a.mul(alpha, expm1(a, x));
    return a.mul(gamma, a.select(a.cmp("le", x, a.cst(t, 0)), neg, x));
  });
  addUnary(r, "Celu", [expm1](Arith &a, Value x, NodeContext &ctx) {
    Type t = x.getType();
    double alphaValue = attr(ctx, "alpha", 1.0);
    Value alpha = a.cst(t, alphaValue);
    Value zero = a.cst(t, 0);
    Value neg = a.mul(alpha, expm1(a, a.div(x, alpha)));
    return a.add(a.max(zero, x), a.min(zero, neg));
  });
  r.add("PRelu", [](NodeContext &ctx) {
    return importElementwise(
        ctx, 2, sameAsFirst,
        [](OpBuilder &b, Location loc, ValueRange args,
           ArrayRef<ONNXDType> dtypes) {
          Arith a{b, loc, dtypes[0]};
          Value neg = a.cmp("lt", args[0], a.cst(args[0].getType(), 0));
          return a.select(neg, a.mul(args[1], args[0]), args[0]);
        });
  });

  r.add("IsNaN", [](NodeContext &ctx) {
    return importElementwise(ctx, 1, boolResult,
                             [](OpBuilder &b, Location loc, ValueRange args,
                                ArrayRef<ONNXDType>) -> Value {
                               return arith::CmpFOp::create(
                                   b, loc, arith::CmpFPredicate::UNO, args[0],
                                   args[0]);
                             });
  });
  r.add("IsInf", [](NodeContext &ctx) {
    bool negative = ctx.attrInt("detect_negative", 1) != 0;
    bool positive = ctx.attrInt("detect_positive", 1) != 0;
    return importElementwise(
        ctx, 1, boolResult,
        [=](OpBuilder &b, Location loc, ValueRange args,
            ArrayRef<ONNXDType>) -> Value {
          Type t = args[0].getType();
          Value inf = createScalarConstant(b, loc, t, INFINITY);
          Value ninf = createScalarConstant(b, loc, t, -INFINITY);
          Value isPos = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                              args[0], inf);
          Value isNeg = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                              args[0], ninf);
          Value none = createScalarConstant(b, loc, b.getI1Type(), 0);
          Value p = positive ? isPos : none;
          Value n = negative ? isNeg : none;
          return arith::OrIOp::create(b, loc, p, n);
        });
  });

  //===--- Clip
  //------------------------------------------------------------===//
  // Opset < 11: min/max attributes; opset >= 11: optional 0-d inputs.
  r.add("Clip", [](NodeContext &ctx) -> LogicalResult {
    FailureOr<ImportedValue> x = ctx.input(0);
    if (failed(x))
      return failure();
    ONNXDType dtype = x->dtype;
    Type t = ctx.elementType(dtype);
    if (!t)
      return failure();
    OpBuilder &b = ctx.builder();
    SmallVector<Value> operands{ctx.inputValue(0)};
    bool hasMin = false, hasMax = false;
    double minAttr = -INFINITY, maxAttr = INFINITY;
    if (ctx.opset() < 11) {
      minAttr = ctx.attrFloat("min", -3.4028234663852886e38);
      maxAttr = ctx.attrFloat("max", 3.4028234663852886e38);
      hasMin = hasMax = true;
    }
    int minArg = -1, maxArg = -1;
    if (ctx.opset() >= 11) {
      for (unsigned i : {1u, 2u}) {
        if (!ctx.hasInput(i))
          continue;
        Value v = ctx.inputValue(i);
        if (!v)
          return failure();
        if (cast<ShapedType>(v.getType()).getRank() != 0)
          return ctx.error("min and max must be scalars (0-d tensors)");
        (i == 1 ? minArg : maxArg) = operands.size();
        operands.push_back(v);
      }
    }
    Value result = buildElementwise(
        b, ctx.loc(), operands, x->shape, t,
        [&](OpBuilder &nb, Location loc, ValueRange args) {
          Arith a{nb, loc, dtype};
          Value v = args[0];
          Value lo = minArg >= 0 ? args[minArg]
                                 : (hasMin ? a.cst(t, minAttr) : Value());
          Value hi = maxArg >= 0 ? args[maxArg]
                                 : (hasMax ? a.cst(t, maxAttr) : Value());
          // Selects keep NaN inputs as NaN, as numpy.clip does.
          if (lo)
            v = a.select(a.cmp("lt", v, lo), lo, v);
          if (hi)
            v = a.select(a.cmp("gt", v, hi), hi, v);
          return v;
        });
    ctx.setOutput(0, result, dtype);
    return success();
  });

  //===--- Cast
  //------------------------------------------------------------===//
  auto importCast = [](NodeContext &ctx, ONNXDType to) -> LogicalResult {
    FailureOr<ImportedValue> x = ctx.input(0);
    if (failed(x))
      return failure();
    if (!getElementType(ctx.context(), to) || to == ONNXDType::Float8E4M3FN ||
        to == ONNXDType::Float8E5M2)
      return ctx.error("cast to " + getDTypeName(to) + " is not supported");
    if (x->host) {
      const HostTensor &in = *x->host;
      HostTensor out;
      out.dtype = to;
      out.shape = in.shape;
      for (int64_t i = 0, e = in.numElements(); i < e; ++i) {
        if (isFloatDType(to))
          out.floats.push_back(roundToDType(in.getDouble(i), to));
        else if (to == ONNXDType::Bool)
          out.ints.push_back(in.getDouble(i) != 0);
        else
          out.ints.push_back(wrapToDType(in.getInt(i), to));
      }
      ctx.setHostOutput(0, std::move(out));
      return success();
    }
    if (x->dtype == to) {
      ctx.setOutput(0, *x);
      return success();
    }
    Value v = ctx.inputValue(0);
    Value result = castTensor(ctx, v, x->dtype, to);
    if (!result)
      return failure();
    ctx.setOutput(0, result, to);
    return success();
  };
  r.add("Cast", [importCast](NodeContext &ctx) {
    return importCast(ctx, static_cast<ONNXDType>(ctx.attrInt("to", 0)));
  });
  r.add("CastLike", [importCast](NodeContext &ctx) -> LogicalResult {
    FailureOr<ImportedValue> like = ctx.input(1);
    if (failed(like))
      return failure();
    return importCast(ctx, like->dtype);
  });

  //===--- Pass-through
  //----------------------------------------------------===//
  r.add("Identity", [](NodeContext &ctx) -> LogicalResult {
    FailureOr<ImportedValue> x = ctx.input(0);
    if (failed(x))
      return failure();
    ctx.setOutput(0, *x);
    return success();
  });
}
