//===- RNN.cpp - ONNX RNN, GRU and LSTM -----------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The recurrent ops import as one scf.for over the time steps per direction,
// carrying the hidden state (and the LSTM cell state, and the Y output being
// filled in) as iter_args. The input projection X * W^T of every step is one
// qc.matmul before the loop; each step does H * R^T with qc.matmul and the
// gate arithmetic with elementwise linalg.generic ops, following the ONNX
// equations (gate order i, o, f, c for LSTM and z, r, h for GRU).
//
// sequence_lens is honoured with masks: a batch entry whose sequence has
// ended keeps its state and gets zeros in Y, which is what ONNX Runtime
// computes. When sequence_lens is a constant equal to the sequence length
// everywhere the masks are left out.
//
//===----------------------------------------------------------------------===//

#include "OpHelpers.h"
#include "qc/Dialect/QC/IR/QCDialect.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

#include "onnx/onnx_pb.h"

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::onnx_import;

namespace {

enum class CellKind { RNN, GRU, LSTM };

/// One activation function of the ONNX recurrent ops, with its alpha/beta.
struct Activation {
  enum Kind {
    Relu,
    Tanh,
    Sigmoid,
    Affine,
    LeakyRelu,
    ThresholdedRelu,
    ScaledTanh,
    HardSigmoid,
    Elu,
    Softsign,
    Softplus
  };
  Kind kind = Tanh;
  double alpha = 0.0, beta = 0.0;
};

/// Everything the per-direction builder needs, validated up front so that
/// building IR cannot fail half way.
struct RecurrentSpec {
  CellKind kind;
  int64_t numGates;
  int64_t seqLen, batch, inputSize, hidden, numDirections;
  bool reverseOnly;
  bool batchFirst;
  std::optional<double> clip;
  bool inputForget = false;
  bool linearBeforeReset = false;
  /// Activations per direction: numDirections x (1, 2 or 3).
  SmallVector<SmallVector<Activation>> activations;
  Type elementType;
  ONNXDType dtype;
};

} // namespace

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

/// Parses one activation name (case-insensitive, as ONNX Runtime accepts);
/// `needsAlpha` / `needsBeta` say which of the alpha/beta lists it consumes.
static std::optional<Activation>
parseActivationName(StringRef name, bool &needsAlpha, bool &needsBeta) {
  std::string lower = name.lower();
  Activation a;
  needsAlpha = needsBeta = false;
  if (lower == "relu") {
    a.kind = Activation::Relu;
  } else if (lower == "tanh") {
    a.kind = Activation::Tanh;
  } else if (lower == "sigmoid") {
    a.kind = Activation::Sigmoid;
  } else if (lower == "softsign") {
    a.kind = Activation::Softsign;
  } else if (lower == "softplus") {
    a.kind = Activation::Softplus;
  } else if (lower == "affine") {
    // Unset alpha/beta take the defaults of the ONNX operators of the same
    // names, as the operator documentation says. (ONNX Runtime uses 0 for
    // Affine, ThresholdedRelu and ScaledTanh instead.)
    a = {Activation::Affine, 1.0, 0.0};
    needsAlpha = needsBeta = true;
  } else if (lower == "leakyrelu") {
    a = {Activation::LeakyRelu, 0.01, 0.0};
    needsAlpha = true;
  } else if (lower == "thresholdedrelu") {
    a = {Activation::ThresholdedRelu, 1.0, 0.0};
    needsAlpha = true;
  } else if (lower == "scaledtanh") {
    a = {Activation::ScaledTanh, 1.0, 1.0};
    needsAlpha = needsBeta = true;
  } else if (lower == "hardsigmoid") {
    a = {Activation::HardSigmoid, 0.2, 0.5};
    needsAlpha = needsBeta = true;
  } else if (lower == "elu") {
    a = {Activation::Elu, 1.0, 0.0};
    needsAlpha = true;
  } else {
    return std::nullopt;
  }
  return a;
}

/// Reads `activations`, `activation_alpha` and `activation_beta`. Alpha and
/// beta values are consumed in order by the functions that take them.
static FailureOr<SmallVector<SmallVector<Activation>>>
parseActivations(NodeContext &ctx, ArrayRef<StringRef> defaults,
                 int64_t numDirections) {
  int64_t perDirection = defaults.size();
  SmallVector<std::string> names;
  if (const onnx::AttributeProto *attr = ctx.getAttr("activations"))
    for (const std::string &s : attr->strings())
      names.push_back(s);
  if (names.empty())
    for (int64_t d = 0; d < numDirections; ++d)
      for (StringRef s : defaults)
        names.push_back(s.str());
  if (int64_t(names.size()) != perDirection * numDirections) {
    ctx.emitError() << "activations lists " << names.size()
                    << " functions, expected " << perDirection * numDirections
                    << " (" << perDirection << " per direction)";
    return failure();
  }
  SmallVector<double> alphas = ctx.attrFloats("activation_alpha");
  SmallVector<double> betas = ctx.attrFloats("activation_beta");
  size_t nextAlpha = 0, nextBeta = 0;
  SmallVector<SmallVector<Activation>> result(numDirections);
  for (auto [i, name] : llvm::enumerate(names)) {
    bool needsAlpha, needsBeta;
    std::optional<Activation> a =
        parseActivationName(name, needsAlpha, needsBeta);
    if (!a) {
      ctx.emitError() << "activation function '" << name
                      << "' is not supported (supported: Relu, Tanh, Sigmoid, "
                         "Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, "
                         "HardSigmoid, Elu, Softsign, Softplus)";
      return failure();
    }
    if (needsAlpha && nextAlpha < alphas.size())
      a->alpha = alphas[nextAlpha++];
    if (needsBeta && nextBeta < betas.size())
      a->beta = betas[nextBeta++];
    result[i / perDirection].push_back(*a);
  }
  return result;
}

/// The scalar code of an activation function. Every op is created in its
/// own statement: operands built inside one call's argument list would be
/// created in an order that differs between compilers.
static Value applyActivation(OpBuilder &b, Location loc, const Activation &a,
                             Value x) {
  Type t = x.getType();
  auto cst = [&](double v) -> Value {
    return createScalarConstant(b, loc, t, v);
  };
  auto lessThan = [&](Value l, Value r) -> Value {
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, l, r);
  };
  auto mul = [&](Value l, Value r) -> Value {
    return arith::MulFOp::create(b, loc, l, r);
  };
  auto add = [&](Value l, Value r) -> Value {
    return arith::AddFOp::create(b, loc, l, r);
  };
  switch (a.kind) {
  case Activation::Relu: {
    Value zero = cst(0.0);
    return arith::MaximumFOp::create(b, loc, x, zero);
  }
  case Activation::Tanh:
    return math::TanhOp::create(b, loc, x);
  case Activation::Sigmoid: {
    Value neg = arith::NegFOp::create(b, loc, x);
    Value e = math::ExpOp::create(b, loc, neg);
    Value one = cst(1.0);
    Value denominator = add(cst(1.0), e);
    return arith::DivFOp::create(b, loc, one, denominator);
  }
  case Activation::Affine: {
    Value scaled = mul(cst(a.alpha), x);
    return add(scaled, cst(a.beta));
  }
  case Activation::LeakyRelu: {
    Value negative = lessThan(x, cst(0.0));
    Value scaled = mul(cst(a.alpha), x);
    return arith::SelectOp::create(b, loc, negative, scaled, x);
  }
  case Activation::ThresholdedRelu: {
    Value above = lessThan(cst(a.alpha), x);
    Value zero = cst(0.0);
    return arith::SelectOp::create(b, loc, above, x, zero);
  }
  case Activation::ScaledTanh: {
    Value alpha = cst(a.alpha);
    Value inner = mul(cst(a.beta), x);
    return mul(alpha, math::TanhOp::create(b, loc, inner));
  }
  case Activation::HardSigmoid: {
    Value scaled = mul(cst(a.alpha), x);
    Value y = add(scaled, cst(a.beta));
    y = arith::MinimumFOp::create(b, loc, y, cst(1.0));
    return arith::MaximumFOp::create(b, loc, y, cst(0.0));
  }
  case Activation::Elu: {
    Value e = math::ExpOp::create(b, loc, x);
    Value em1 = arith::SubFOp::create(b, loc, e, cst(1.0));
    Value negative = lessThan(x, cst(0.0));
    Value scaled = mul(cst(a.alpha), em1);
    return arith::SelectOp::create(b, loc, negative, scaled, x);
  }
  case Activation::Softsign: {
    Value one = cst(1.0);
    Value denominator = add(one, math::AbsFOp::create(b, loc, x));
    return arith::DivFOp::create(b, loc, x, denominator);
  }
  case Activation::Softplus: {
    // log(1 + e^x) = max(x, 0) + log1p(e^-|x|), which does not overflow.
    Value negAbs =
        arith::NegFOp::create(b, loc, math::AbsFOp::create(b, loc, x));
    Value tail =
        math::Log1pOp::create(b, loc, math::ExpOp::create(b, loc, negAbs));
    Value positive = arith::MaximumFOp::create(b, loc, x, cst(0.0));
    return add(positive, tail);
  }
  }
  return x;
}

//===----------------------------------------------------------------------===//
// Tensor helpers
//===----------------------------------------------------------------------===//

/// tensor.extract_slice of `sizes` at `offsets` (unit strides), dropping the
/// unit dimensions `resultShape` leaves out.
static Value slice(OpBuilder &b, Location loc, Value source,
                   ArrayRef<OpFoldResult> offsets, ArrayRef<int64_t> sizes,
                   ArrayRef<int64_t> resultShape) {
  auto type = cast<RankedTensorType>(source.getType());
  auto resultType = RankedTensorType::get(resultShape, type.getElementType());
  SmallVector<OpFoldResult> sizeAttrs, strides;
  for (int64_t s : sizes) {
    sizeAttrs.push_back(b.getIndexAttr(s));
    strides.push_back(b.getIndexAttr(1));
  }
  return tensor::ExtractSliceOp::create(b, loc, resultType, source, offsets,
                                        sizeAttrs, strides);
}

static SmallVector<OpFoldResult> indexAttrs(OpBuilder &b,
                                            ArrayRef<int64_t> values) {
  SmallVector<OpFoldResult> result;
  for (int64_t v : values)
    result.push_back(b.getIndexAttr(v));
  return result;
}

/// Direction `d` of a [D, ...] tensor, as a tensor of the remaining dims.
static Value sliceDirection(OpBuilder &b, Location loc, Value source,
                            int64_t d) {
  auto shape = cast<RankedTensorType>(source.getType()).getShape();
  SmallVector<int64_t> offsets(shape.size(), 0), sizes(shape);
  offsets[0] = d;
  sizes[0] = 1;
  return slice(b, loc, source, indexAttrs(b, offsets), sizes,
               shape.drop_front());
}

/// Columns [begin, begin + count) of a [rows, cols] tensor.
static Value sliceColumns(OpBuilder &b, Location loc, Value source,
                          int64_t begin, int64_t count) {
  int64_t rows = cast<RankedTensorType>(source.getType()).getDimSize(0);
  return slice(b, loc, source, indexAttrs(b, {0, begin}), {rows, count},
               {rows, count});
}

/// Elements [begin, begin + count) of a 1-D tensor.
static Value sliceVector(OpBuilder &b, Location loc, Value source,
                         int64_t begin, int64_t count) {
  return slice(b, loc, source, indexAttrs(b, {begin}), {count}, {count});
}

/// Stacks same-shape tensors along a new dimension `axis`.
static Value stack(OpBuilder &b, Location loc, ArrayRef<Value> values,
                   int64_t axis) {
  auto type = cast<RankedTensorType>(values[0].getType());
  SmallVector<int64_t> unitShape(type.getShape());
  unitShape.insert(unitShape.begin() + axis, 1);
  if (values.size() == 1)
    return reshapeTensor(b, loc, values[0], unitShape);
  SmallVector<int64_t> shape(unitShape);
  shape[axis] = values.size();
  Value result = createEmptyTensor(b, loc, shape, type.getElementType());
  for (auto [i, v] : llvm::enumerate(values)) {
    SmallVector<int64_t> offsets(shape.size(), 0);
    offsets[axis] = i;
    SmallVector<OpFoldResult> strides(shape.size(), b.getIndexAttr(1));
    result = tensor::InsertSliceOp::create(
        b, loc, reshapeTensor(b, loc, v, unitShape), result,
        indexAttrs(b, offsets), indexAttrs(b, unitShape), strides);
  }
  return result;
}

static Value matmul(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  auto l = cast<RankedTensorType>(lhs.getType());
  auto r = cast<RankedTensorType>(rhs.getType());
  auto type = RankedTensorType::get({l.getDimSize(0), r.getDimSize(1)},
                                    l.getElementType());
  return MatMulOp::create(b, loc, type, lhs, rhs);
}

//===----------------------------------------------------------------------===//
// The recurrence
//===----------------------------------------------------------------------===//

namespace {

/// Builds the loop of one direction. Values are [batch, hidden] unless said
/// otherwise.
class DirectionBuilder {
public:
  DirectionBuilder(OpBuilder &b, Location loc, const RecurrentSpec &spec,
                   ArrayRef<Activation> acts)
      : b(b), loc(loc), spec(spec), acts(acts) {}

  /// Clips a gate pre-activation if `clip` is set.
  Value clip(OpBuilder &nb, Location nl, Value x) const {
    if (!spec.clip)
      return x;
    Type t = x.getType();
    Value hi = createScalarConstant(nb, nl, t, *spec.clip);
    Value lo = createScalarConstant(nb, nl, t, -*spec.clip);
    x = arith::MinimumFOp::create(nb, nl, x, hi);
    return arith::MaximumFOp::create(nb, nl, x, lo);
  }
  Value act(OpBuilder &nb, Location nl, unsigned i, Value x) const {
    return applyActivation(nb, nl, acts[i], clip(nb, nl, x));
  }

  Value elementwise(OpBuilder &nb, Location nl, ValueRange inputs,
                    function_ref<Value(OpBuilder &, Location, ValueRange)> fn) {
    return buildElementwise(nb, nl, inputs, {spec.batch, spec.hidden},
                            spec.elementType, fn);
  }

  /// One LSTM step: returns {H', C'}.
  std::pair<Value, Value> lstmStep(OpBuilder &nb, Location nl, Value xw,
                                   Value h, Value c) {
    int64_t H = spec.hidden;
    Value pre = buildElementwise(
        nb, nl, ValueRange{xw, matmul(nb, nl, h, rT)}, spec.elementType,
        [](OpBuilder &eb, Location el, ValueRange a) -> Value {
          return arith::AddFOp::create(eb, el, a[0], a[1]);
        });
    Value pi = sliceColumns(nb, nl, pre, 0, H);
    Value po = sliceColumns(nb, nl, pre, H, H);
    Value pf = sliceColumns(nb, nl, pre, 2 * H, H);
    Value pc = sliceColumns(nb, nl, pre, 3 * H, H);
    bool peep = bool(peepI);
    bool inputForget = spec.inputForget;
    SmallVector<Value> cInputs{pi, pf, pc, c};
    if (peep)
      cInputs.append({peepI, peepF});
    Value cNew = elementwise(
        nb, nl, cInputs, [&](OpBuilder &eb, Location el, ValueRange a) {
          Value cPrev = a[3];
          Value iIn = a[0], fIn = a[1];
          if (peep) {
            iIn = arith::AddFOp::create(
                eb, el, iIn, arith::MulFOp::create(eb, el, a[4], cPrev));
            fIn = arith::AddFOp::create(
                eb, el, fIn, arith::MulFOp::create(eb, el, a[5], cPrev));
          }
          Value i = act(eb, el, 0, iIn);
          // input_forget couples the gates: f = 1 - i.
          Value f =
              inputForget
                  ? Value(arith::SubFOp::create(
                        eb, el, createScalarConstant(eb, el, i.getType(), 1.0),
                        i))
                  : act(eb, el, 0, fIn);
          Value g = act(eb, el, 1, a[2]);
          return arith::AddFOp::create(eb, el,
                                       arith::MulFOp::create(eb, el, f, cPrev),
                                       arith::MulFOp::create(eb, el, i, g));
        });
    SmallVector<Value> hInputs{po, cNew};
    if (peep)
      hInputs.push_back(peepO);
    Value hNew = elementwise(
        nb, nl, hInputs, [&](OpBuilder &eb, Location el, ValueRange a) {
          Value oIn = a[0];
          if (peep)
            oIn = arith::AddFOp::create(
                eb, el, oIn, arith::MulFOp::create(eb, el, a[2], a[1]));
          Value o = act(eb, el, 0, oIn);
          // h() is applied to the cell state as is: clip only bounds the
          // gate pre-activations.
          return arith::MulFOp::create(eb, el, o,
                                       applyActivation(eb, el, acts[2], a[1]));
        });
    return {hNew, cNew};
  }

  /// One GRU step: returns H'.
  Value gruStep(OpBuilder &nb, Location nl, Value xw, Value h) {
    int64_t H = spec.hidden;
    Value xz = sliceColumns(nb, nl, xw, 0, H);
    Value xr = sliceColumns(nb, nl, xw, H, H);
    Value xh = sliceColumns(nb, nl, xw, 2 * H, H);
    auto update = [&](OpBuilder &eb, Location el, Value z, Value hTilde,
                      Value hPrev) -> Value {
      // (1 - z) * h~ + z * H
      Value one = createScalarConstant(eb, el, z.getType(), 1.0);
      return arith::AddFOp::create(
          eb, el,
          arith::MulFOp::create(eb, el, arith::SubFOp::create(eb, el, one, z),
                                hTilde),
          arith::MulFOp::create(eb, el, z, hPrev));
    };
    auto add = [](OpBuilder &eb, Location el, Value x, Value y) -> Value {
      return arith::AddFOp::create(eb, el, x, y);
    };
    if (spec.linearBeforeReset) {
      // h~ = g(Xh + r * (H * Rh^T + Rbh)); Rb was added to hr as a whole.
      Value hr = matmul(nb, nl, h, rT);
      if (rBias)
        hr = buildElementwise(nb, nl, ValueRange{hr, rBias}, spec.elementType,
                              [&](OpBuilder &eb, Location el, ValueRange a) {
                                return add(eb, el, a[0], a[1]);
                              });
      Value hz = sliceColumns(nb, nl, hr, 0, H);
      Value hrr = sliceColumns(nb, nl, hr, H, H);
      Value hh = sliceColumns(nb, nl, hr, 2 * H, H);
      return elementwise(
          nb, nl, ValueRange{xz, hz, xr, hrr, xh, hh, h},
          [&](OpBuilder &eb, Location el, ValueRange a) {
            Value z = act(eb, el, 0, add(eb, el, a[0], a[1]));
            Value r = act(eb, el, 0, add(eb, el, a[2], a[3]));
            Value hTilde =
                act(eb, el, 1,
                    add(eb, el, a[4], arith::MulFOp::create(eb, el, r, a[5])));
            return update(eb, el, z, hTilde, a[6]);
          });
    }
    // h~ = g(Xh + (r * H) * Rh^T + Rbh + Wbh); the biases are in xw.
    Value hzr = matmul(nb, nl, h, rzrT);
    Value hz = sliceColumns(nb, nl, hzr, 0, H);
    Value hrr = sliceColumns(nb, nl, hzr, H, H);
    Value rh = elementwise(nb, nl, ValueRange{xr, hrr, h},
                           [&](OpBuilder &eb, Location el, ValueRange a) {
                             Value r = act(eb, el, 0, add(eb, el, a[0], a[1]));
                             return arith::MulFOp::create(eb, el, r, a[2]);
                           });
    Value hh = matmul(nb, nl, rh, rhT);
    return elementwise(nb, nl, ValueRange{xz, hz, xh, hh, h},
                       [&](OpBuilder &eb, Location el, ValueRange a) {
                         Value z = act(eb, el, 0, add(eb, el, a[0], a[1]));
                         Value hTilde = act(eb, el, 1, add(eb, el, a[2], a[3]));
                         return update(eb, el, z, hTilde, a[4]);
                       });
  }

  /// One RNN step: returns H'.
  Value rnnStep(OpBuilder &nb, Location nl, Value xw, Value h) {
    return elementwise(nb, nl, ValueRange{xw, matmul(nb, nl, h, rT)},
                       [&](OpBuilder &eb, Location el, ValueRange a) {
                         return act(eb, el, 0,
                                    arith::AddFOp::create(eb, el, a[0], a[1]));
                       });
  }

  /// Builds the loop. `x2d` is X as [seq*batch, input]; w [G*H, input],
  /// r [G*H, hidden], bias [2*G*H] or null, peephole [3*H] or null,
  /// seqLens [batch, 1] (integer) or null when no mask is needed. Returns
  /// {Y [seq, batch, hidden] or null, H, C or null}.
  std::tuple<Value, Value, Value> build(Value x2d, Value w, Value r, Value bias,
                                        Value peephole, Value h0, Value c0,
                                        Value seqLens, bool reverse,
                                        bool wantY) {
    int64_t G = spec.numGates, H = spec.hidden, T = spec.seqLen, B = spec.batch;
    bool isGRU = spec.kind == CellKind::GRU;
    bool isLSTM = spec.kind == CellKind::LSTM;
    Type et = spec.elementType;

    // Input projection of all steps at once, with the biases that are plain
    // additions folded in.
    Value xw = matmul(b, loc, x2d, transposeTensor(b, loc, w, {1, 0}));
    if (bias) {
      Value wb = sliceVector(b, loc, bias, 0, G * H);
      Value rb = sliceVector(b, loc, bias, G * H, G * H);
      SmallVector<Value> operands{xw, wb};
      // GRU with linear_before_reset adds Rbh inside r * (...): Rb is added
      // to H * R^T per step instead.
      if (isGRU && spec.linearBeforeReset)
        rBias = rb;
      else
        operands.push_back(rb);
      xw = buildElementwise(b, loc, operands, et,
                            [](OpBuilder &eb, Location el, ValueRange a) {
                              Value s = a[0];
                              for (Value v : a.drop_front())
                                s = arith::AddFOp::create(eb, el, s, v);
                              return s;
                            });
    }
    xw = reshapeTensor(b, loc, xw, {T, B, G * H});

    if (isGRU && !spec.linearBeforeReset) {
      rzrT = transposeTensor(
          b, loc,
          slice(b, loc, r, indexAttrs(b, {0, 0}), {2 * H, H}, {2 * H, H}),
          {1, 0});
      rhT = transposeTensor(
          b, loc, slice(b, loc, r, indexAttrs(b, {2 * H, 0}), {H, H}, {H, H}),
          {1, 0});
    } else {
      rT = transposeTensor(b, loc, r, {1, 0});
    }
    if (peephole) {
      peepI = sliceVector(b, loc, peephole, 0, H);
      peepO = sliceVector(b, loc, peephole, H, H);
      peepF = sliceVector(b, loc, peephole, 2 * H, H);
    }

    SmallVector<Value> init{h0};
    if (isLSTM)
      init.push_back(c0);
    if (wantY)
      init.push_back(createFilledTensor(b, loc, {T, B, H},
                                        createScalarConstant(b, loc, et, 0.0)));
    Value lb = arith::ConstantIndexOp::create(b, loc, 0);
    Value ub = arith::ConstantIndexOp::create(b, loc, T);
    Value step = arith::ConstantIndexOp::create(b, loc, 1);
    Value last = arith::ConstantIndexOp::create(b, loc, T - 1);
    auto loop = scf::ForOp::create(
        b, loc, lb, ub, step, init,
        [&](OpBuilder &nb, Location nl, Value iv, ValueRange args) {
          Value t = iv;
          if (reverse)
            t = arith::SubIOp::create(nb, nl, last, iv);
          SmallVector<OpFoldResult> offsets{t, nb.getIndexAttr(0),
                                            nb.getIndexAttr(0)};
          Value xwT = slice(nb, nl, xw, offsets, {1, B, G * H}, {B, G * H});
          Value h = args[0];
          Value c = isLSTM ? args[1] : Value();
          Value hNew, cNew;
          switch (spec.kind) {
          case CellKind::LSTM:
            std::tie(hNew, cNew) = lstmStep(nb, nl, xwT, h, c);
            break;
          case CellKind::GRU:
            hNew = gruStep(nb, nl, xwT, h);
            break;
          case CellKind::RNN:
            hNew = rnnStep(nb, nl, xwT, h);
            break;
          }
          Value yT = hNew;
          if (seqLens) {
            // Entries whose sequence has ended keep their state and output
            // zeros.
            Type lenType =
                cast<RankedTensorType>(seqLens.getType()).getElementType();
            Value tLen = arith::IndexCastOp::create(nb, nl, lenType, t);
            auto masked = [&](Value next, Value prev) {
              return elementwise(
                  nb, nl, ValueRange{seqLens, next, prev},
                  [&](OpBuilder &eb, Location el, ValueRange a) -> Value {
                    Value live = arith::CmpIOp::create(
                        eb, el, arith::CmpIPredicate::slt, tLen, a[0]);
                    return arith::SelectOp::create(eb, el, live, a[1], a[2]);
                  });
            };
            Value zeros = createFilledTensor(
                nb, nl, {B, H}, createScalarConstant(nb, nl, et, 0.0));
            yT = masked(hNew, zeros);
            hNew = masked(hNew, h);
            if (isLSTM)
              cNew = masked(cNew, c);
          }
          // One-shot bufferization requires each yielded state to be
          // equivalent to its iter_arg: copy the new state into the old
          // one's buffer (nothing reads the old state any more).
          auto intoArg = [&](Value next, Value arg) -> Value {
            return linalg::CopyOp::create(nb, nl, next, arg).getResult(0);
          };
          SmallVector<Value> results{intoArg(hNew, h)};
          if (isLSTM)
            results.push_back(intoArg(cNew, c));
          if (wantY) {
            Value y = args.back();
            SmallVector<OpFoldResult> strides(3, nb.getIndexAttr(1));
            y = tensor::InsertSliceOp::create(
                nb, nl, reshapeTensor(nb, nl, yT, {1, B, H}), y, offsets,
                indexAttrs(nb, {1, B, H}), strides);
            results.push_back(y);
          }
          scf::YieldOp::create(nb, nl, results);
        });
    Value y = wantY ? loop.getResults().back() : Value();
    Value c = isLSTM ? loop.getResult(1) : Value();
    return {y, loop.getResult(0), c};
  }

private:
  OpBuilder &b;
  Location loc;
  const RecurrentSpec &spec;
  ArrayRef<Activation> acts;
  /// R^T [hidden, G*H]; for GRU without linear_before_reset the z/r part
  /// [hidden, 2H] and the h part [hidden, hidden] instead.
  Value rT, rzrT, rhT;
  /// GRU with linear_before_reset: Rb [3H], added to H * R^T.
  Value rBias;
  /// LSTM peepholes [hidden].
  Value peepI, peepO, peepF;
};

} // namespace

/// Checks that optional input `i` (named `what`) has `shape` and the dtype of
/// X. Absent inputs pass.
static LogicalResult checkInput(NodeContext &ctx, unsigned i, StringRef what,
                                ArrayRef<int64_t> shape, ONNXDType dtype) {
  if (!ctx.hasInput(i))
    return success();
  FailureOr<ImportedValue> v = ctx.input(i);
  if (failed(v))
    return failure();
  if (v->dtype != dtype)
    return ctx.error(what + " has element type " + getDTypeName(v->dtype) +
                     ", expected " + getDTypeName(dtype) + " (that of X)");
  if (ArrayRef<int64_t>(v->shape) != shape)
    return ctx.error(what + " has shape " + formatShape(v->shape) +
                     ", expected " + formatShape(shape));
  return success();
}

static LogicalResult importRecurrent(NodeContext &ctx, CellKind kind) {
  RecurrentSpec spec;
  spec.kind = kind;
  spec.numGates = kind == CellKind::LSTM ? 4 : kind == CellKind::GRU ? 3 : 1;
  FailureOr<ImportedValue> x = ctx.input(0), w = ctx.input(1), r = ctx.input(2);
  if (failed(x) || failed(w) || failed(r))
    return failure();
  spec.dtype = x->dtype;
  if (!isFloatDType(spec.dtype))
    return ctx.error("element type " + getDTypeName(spec.dtype) +
                     " is not supported (float types only)");
  spec.elementType = ctx.elementType(spec.dtype);
  if (!spec.elementType)
    return failure();

  std::string direction = ctx.attrString("direction", "forward");
  if (direction != "forward" && direction != "reverse" &&
      direction != "bidirectional")
    return ctx.error("direction '" + direction +
                     "' is not supported (forward, reverse or "
                     "bidirectional)");
  spec.numDirections = direction == "bidirectional" ? 2 : 1;
  spec.reverseOnly = direction == "reverse";
  // layout appeared in opset 14; before it X/Y/states are sequence-first.
  int64_t layout = ctx.opset() >= 14 ? ctx.attrInt("layout", 0) : 0;
  if (layout != 0 && layout != 1)
    return ctx.error("layout " + Twine(layout) + " is not supported (0 or 1)");
  spec.batchFirst = layout == 1;

  if (x->shape.size() != 3 || w->shape.size() != 3 || r->shape.size() != 3)
    return ctx.error("X, W and R must have rank 3, got " +
                     formatShape(x->shape) + ", " + formatShape(w->shape) +
                     " and " + formatShape(r->shape));
  spec.seqLen = x->shape[spec.batchFirst ? 1 : 0];
  spec.batch = x->shape[spec.batchFirst ? 0 : 1];
  spec.inputSize = x->shape[2];
  spec.hidden = r->shape[2];
  int64_t D = spec.numDirections, G = spec.numGates, H = spec.hidden,
          B = spec.batch, T = spec.seqLen;
  if (B == 0 || spec.inputSize == 0 || H == 0)
    return ctx.error("empty batch, input or hidden size (X " +
                     formatShape(x->shape) + ", R " + formatShape(r->shape) +
                     ") is not supported");
  if (ctx.hasAttr("hidden_size") && ctx.attrInt("hidden_size", 0) != H)
    return ctx.error("hidden_size " + Twine(ctx.attrInt("hidden_size", 0)) +
                     " does not match R of shape " + formatShape(r->shape));
  if (failed(checkInput(ctx, 1, "W", {D, G * H, spec.inputSize}, spec.dtype)) ||
      failed(checkInput(ctx, 2, "R", {D, G * H, H}, spec.dtype)) ||
      failed(checkInput(ctx, 3, "B", {D, 2 * G * H}, spec.dtype)))
    return failure();
  SmallVector<int64_t> stateShape = spec.batchFirst
                                        ? SmallVector<int64_t>{B, D, H}
                                        : SmallVector<int64_t>{D, B, H};
  if (failed(checkInput(ctx, 5, "initial_h", stateShape, spec.dtype)))
    return failure();
  if (kind == CellKind::LSTM &&
      (failed(checkInput(ctx, 6, "initial_c", stateShape, spec.dtype)) ||
       failed(checkInput(ctx, 7, "P", {D, 3 * H}, spec.dtype))))
    return failure();

  // sequence_lens: masks are needed unless it is known to be T everywhere.
  bool maskSteps = false;
  if (ctx.hasInput(4)) {
    FailureOr<ImportedValue> lens = ctx.input(4);
    if (failed(lens))
      return failure();
    if (!isIntegerDType(lens->dtype) ||
        ArrayRef<int64_t>(lens->shape) != ArrayRef<int64_t>{B})
      return ctx.error("sequence_lens must be an integer tensor of shape " +
                       formatShape({B}) + ", got " + getDTypeName(lens->dtype) +
                       " " + formatShape(lens->shape));
    maskSteps = true;
    if (const HostTensor *host = ctx.hostInput(4)) {
      maskSteps = false;
      for (int64_t i = 0; i < B; ++i)
        maskSteps |= host->getInt(i) != T;
    }
  }

  if (ctx.hasAttr("clip")) {
    double clip = ctx.attrFloat("clip", 0.0);
    if (!(clip > 0.0)) {
      ctx.emitError() << "clip must be positive, got " << clip;
      return failure();
    }
    spec.clip = clip;
  }
  if (kind == CellKind::LSTM) {
    int64_t inputForget = ctx.attrInt("input_forget", 0);
    if (inputForget != 0 && inputForget != 1)
      return ctx.error("input_forget must be 0 or 1, got " +
                       Twine(inputForget));
    spec.inputForget = inputForget;
  }
  if (kind == CellKind::GRU)
    spec.linearBeforeReset = ctx.attrInt("linear_before_reset", 0) != 0;

  SmallVector<StringRef> defaults;
  switch (kind) {
  case CellKind::LSTM:
    defaults = {"Sigmoid", "Tanh", "Tanh"};
    break;
  case CellKind::GRU:
    defaults = {"Sigmoid", "Tanh"};
    break;
  case CellKind::RNN:
    defaults = {"Tanh"};
    break;
  }
  FailureOr<SmallVector<SmallVector<Activation>>> activations =
      parseActivations(ctx, defaults, D);
  if (failed(activations))
    return failure();
  spec.activations = std::move(*activations);

  // Everything is validated; build.
  OpBuilder &b = ctx.builder();
  Location loc = ctx.loc();
  Type et = spec.elementType;
  Value xv = ctx.inputValue(0), wv = ctx.inputValue(1), rv = ctx.inputValue(2);
  if (!xv || !wv || !rv)
    return failure();
  auto optionalInput = [&](unsigned i) -> FailureOr<Value> {
    if (!ctx.hasInput(i))
      return Value();
    Value v = ctx.inputValue(i);
    if (!v)
      return failure();
    return v;
  };
  FailureOr<Value> bias = optionalInput(3), lens = optionalInput(4),
                   h0 = optionalInput(5), c0 = Value(), peep = Value();
  if (kind == CellKind::LSTM) {
    c0 = optionalInput(6);
    peep = optionalInput(7);
  }
  if (failed(bias) || failed(lens) || failed(h0) || failed(c0) || failed(peep))
    return failure();

  // Work sequence-first: X [T, B, I], states [D, B, H].
  if (spec.batchFirst)
    xv = transposeTensor(b, loc, xv, {1, 0, 2});
  Value x2d = reshapeTensor(b, loc, xv, {T * B, spec.inputSize});
  auto stateInput = [&](Value v) {
    if (!v)
      return createFilledTensor(b, loc, {D, B, H},
                                createScalarConstant(b, loc, et, 0.0));
    return spec.batchFirst ? transposeTensor(b, loc, v, {1, 0, 2}) : v;
  };
  Value hInit = stateInput(*h0);
  Value cInit = kind == CellKind::LSTM ? stateInput(*c0) : Value();
  Value seqLens = maskSteps ? reshapeTensor(b, loc, *lens, {B, 1}) : Value();

  bool wantY = ctx.hasOutput(0);
  SmallVector<Value> ys, hs, cs;
  for (int64_t d = 0; d < D; ++d) {
    bool reverse = spec.reverseOnly || d == 1;
    DirectionBuilder db(b, loc, spec, spec.activations[d]);
    auto [y, h, c] = db.build(
        x2d, sliceDirection(b, loc, wv, d), sliceDirection(b, loc, rv, d),
        *bias ? sliceDirection(b, loc, *bias, d) : Value(),
        *peep ? sliceDirection(b, loc, *peep, d) : Value(),
        sliceDirection(b, loc, hInit, d),
        cInit ? sliceDirection(b, loc, cInit, d) : Value(), seqLens, reverse,
        wantY);
    ys.push_back(y);
    hs.push_back(h);
    cs.push_back(c);
  }

  // Y [T, D, B, H] (layout 1: [B, T, D, H]); Y_h, Y_c [D, B, H] (layout 1:
  // [B, D, H]).
  if (wantY) {
    Value y = stack(b, loc, ys, 1);
    if (spec.batchFirst)
      y = transposeTensor(b, loc, y, {2, 0, 1, 3});
    ctx.setOutput(0, y, spec.dtype);
  }
  auto stackStates = [&](ArrayRef<Value> states) {
    Value s = stack(b, loc, states, 0);
    return spec.batchFirst ? transposeTensor(b, loc, s, {1, 0, 2}) : s;
  };
  if (ctx.hasOutput(1))
    ctx.setOutput(1, stackStates(hs), spec.dtype);
  if (kind == CellKind::LSTM && ctx.hasOutput(2))
    ctx.setOutput(2, stackStates(cs), spec.dtype);
  return success();
}

void mlir::qc::onnx_import::registerRNNOps(OpRegistry &r) {
  // Opsets below 7 are converted up before import; 14 added `layout`.
  r.add(
      "RNN",
      [](NodeContext &ctx) { return importRecurrent(ctx, CellKind::RNN); }, 7);
  r.add(
      "GRU",
      [](NodeContext &ctx) { return importRecurrent(ctx, CellKind::GRU); }, 7);
  r.add(
      "LSTM",
      [](NodeContext &ctx) { return importRecurrent(ctx, CellKind::LSTM); }, 7);
}
