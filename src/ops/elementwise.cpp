// Elementwise ops: broadcasting, type promotion, forward through the backend's kernels and
// hand-written backward formulas built from other ops.
#include "ember/ops/elementwise.h"

#include <cmath>

#include "autograd/record.h"
#include "core/kernels/elementwise.h"
#include "core/memory_format.h"
#include "ember/ops/reduce.h"
#include "ops/dispatch.h"

namespace ember {

using kernels::BinaryOp;
using kernels::UnaryOp;
using GradList = std::vector<Tensor>;

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t x = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t y = i < n - b.size() ? 1 : b[i - (n - b.size())];
    EMBER_CHECK(x == y || x == 1 || y == 1, op, ": shapes ", shape_str(a), " and ", shape_str(b),
                " cannot be broadcast (dimension ", i, ": ", x, " vs ", y, ")");
    out[i] = (x == 1) ? y : x;
  }
  return out;
}

namespace {

/// Gradient g (of the broadcast output) reduced back to the shape and dtype of input t.
Tensor grad_for(const Tensor& g, const Tensor& t) {
  if (!t.requires_grad()) return Tensor();
  Tensor r = sum_to(g, t.shape());
  return r.dtype() == t.dtype() ? r : r.to(t.dtype());
}

/// Forward of a binary op: promote, broadcast, run the kernel. No autograd.
Tensor binary_forward(const char* name, BinaryOp op, const Tensor& a, const Tensor& b, DType compute) {
  static const ops::KernelRef<kernels::BinaryKernel> kernel(kernels::kBinary);
  ops::check_defined(name, "first operand", a);
  ops::check_defined(name, "second operand", b);
  ops::check_same_device(name, a, b);
  const DType out_type = kernels::bool_result(op) ? DType::Bool : compute;
  // Fast path: same shapes and dtypes need no conversion, broadcast views or autograd guard.
  const TensorImpl *ai = a.impl(), *bi = b.impl();
  if (ai->dtype == compute && bi->dtype == compute && ai->sizes == bi->sizes) {
    Backend& be = ai->backend();
    // Two channels-last operands give a channels-last result (their kernels walk all three flat).
    const bool cl = ai->strides == bi->strides && keeps_channels_last(a);
    Tensor out = make_empty_activation(ai->sizes, out_type, be, cl);
    if (shape_numel(ai->sizes) != 0) kernel(be)(op, arg_of(a), arg_of(b), arg_of(out));
    return out;
  }
  Shape s = broadcast_shapes(a.shape(), b.shape(), name);
  Tensor out = make_empty(s, out_type, a.device());
  if (out.numel() == 0) return out;
  NoGradGuard ng;
  Tensor x = a.to(compute).expand(s), y = b.to(compute).expand(s);
  kernel(a.device())(op, arg_of(x), arg_of(y), arg_of(out));
  return out;
}

DType arith_type(const char* name, const Tensor& a, const Tensor& b) {
  ops::check_defined(name, "first operand", a);
  ops::check_defined(name, "second operand", b);
  DType t = promote_types(a.dtype(), b.dtype());
  return t == DType::Bool ? DType::Int64 : t;
}

/// The dtype a tensor op with a Python-style "weak" scalar computes in.
DType scalar_type(const Tensor& a, double s) {
  bool integral = std::floor(s) == s && std::isfinite(s);
  if (is_floating(a.dtype())) return a.dtype();
  if (!integral) return DType::Float32;
  return a.dtype() == DType::Bool ? DType::Int64 : a.dtype();
}

Tensor wrap(const Tensor& a, double s) { return scalar_tensor(s, TensorOptions(scalar_type(a, s)).with_device(a.device())); }

/// Forward of a unary op (named by kernels::op_name) on x, converted to float32 first when the
/// op is defined for floating dtypes only (or when to_float says so). No autograd.
Tensor unary_forward(UnaryOp op, const Tensor& x, double p0 = 0, double p1 = 0, int to_float = -1) {
  ops::check_defined(kernels::op_name(op), "input", x);
  const bool float_only = to_float < 0 ? kernels::op_domain(op) == kernels::OpDomain::Floating : to_float != 0;
  Tensor in = (float_only && !is_floating(x.dtype())) ? x.to(DType::Float32) : x;
  Backend& be = x.impl()->backend();
  const DType t = kernels::bool_result(op) ? DType::Bool : in.dtype();
  Tensor out = make_empty_activation(x.shape(), t, be, keeps_channels_last(in));
  if (out.numel() == 0) return out;
  static const ops::KernelRef<kernels::UnaryKernel> kernel(kernels::kUnary);
  kernel(be)(op, arg_of(in), arg_of(out), p0, p1);
  return out;
}

}  // namespace

// ---- binary arithmetic ------------------------------------------------------------------

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward("add", BinaryOp::Add, a, b, arith_type("add", a, b));
  if (autograd::should_record({a, b}))  // skip building the closure in inference
    autograd::record("add", {a, b}, {out}, [a, b](const GradList& g) { return GradList{grad_for(g[0], a), grad_for(g[0], b)}; });
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward("sub", BinaryOp::Sub, a, b, arith_type("sub", a, b));
  if (autograd::should_record({a, b}))
    autograd::record("sub", {a, b}, {out}, [a, b](const GradList& g) {
      return GradList{grad_for(g[0], a), b.requires_grad() ? grad_for(neg(g[0]), b) : Tensor()};
    });
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward("mul", BinaryOp::Mul, a, b, arith_type("mul", a, b));
  if (autograd::should_record({a, b}))
    autograd::record("mul", {a, b}, {out}, [a, b](const GradList& g) {
      return GradList{a.requires_grad() ? grad_for(mul(g[0], b), a) : Tensor(),
                      b.requires_grad() ? grad_for(mul(g[0], a), b) : Tensor()};
    });
  return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
  DType t = arith_type("div", a, b);
  if (!is_floating(t)) t = DType::Float32;  // true division, as torch.div
  Tensor out = binary_forward("div", BinaryOp::Div, a, b, t);
  if (autograd::should_record({a, b}))
    autograd::record("div", {a, b}, {out}, [a, b, out = out.detach()](const GradList& g) {
      return GradList{a.requires_grad() ? grad_for(div(g[0], b), a) : Tensor(),
                      b.requires_grad() ? grad_for(neg(div(mul(g[0], out), b)), b) : Tensor()};
    });
  return out;
}

Tensor pow(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward("pow", BinaryOp::Pow, a, b, arith_type("pow", a, b));
  autograd::record("pow", {a, b}, {out}, [a, b, out = out.detach()](const GradList& g) {
    Tensor ga, gb;
    if (a.requires_grad()) ga = grad_for(mul(g[0], mul(b, pow(a, sub(b, 1.0)))), a);
    if (b.requires_grad()) gb = grad_for(mul(g[0], mul(out, log(a))), b);
    return GradList{ga, gb};
  });
  return out;
}

Tensor pow(const Tensor& a, double e) {
  Tensor out = unary_forward(UnaryOp::PowScalar, a, e, 0, std::floor(e) != e || e < 0);
  autograd::record("pow", {a}, {out}, [a, e](const GradList& g) { return GradList{mul(g[0], mul(pow(a, e - 1.0), e))}; });
  return out;
}

namespace {
Tensor minmax(const char* name, BinaryOp op, const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(name, op, a, b, arith_type(name, a, b));
  autograd::record(name, {a, b}, {out}, [a, b, op](const GradList& g) {
    // The winner takes the gradient; ties split it evenly (as PyTorch).
    Tensor win_a = op == BinaryOp::Maximum ? gt(a, b) : lt(a, b);
    Tensor tie = eq(a, b);
    Tensor half = mul(g[0], 0.5);
    Tensor zero = zeros_like(g[0]);
    Tensor ga = where(win_a, g[0], where(tie, half, zero));
    Tensor gb = where(logical_or(win_a, tie), where(tie, half, zero), g[0]);
    return GradList{grad_for(ga, a), grad_for(gb, b)};
  });
  return out;
}
}  // namespace

Tensor maximum(const Tensor& a, const Tensor& b) { return minmax("maximum", BinaryOp::Maximum, a, b); }
Tensor minimum(const Tensor& a, const Tensor& b) { return minmax("minimum", BinaryOp::Minimum, a, b); }

Tensor add(const Tensor& a, double s) { return add(a, wrap(a, s)); }
Tensor sub(const Tensor& a, double s) { return sub(a, wrap(a, s)); }
Tensor mul(const Tensor& a, double s) { return mul(a, wrap(a, s)); }
Tensor div(const Tensor& a, double s) { return div(a, wrap(a, s)); }

// ---- unary ------------------------------------------------------------------------------

Tensor neg(const Tensor& x) {
  Tensor out = unary_forward(UnaryOp::Neg, x);
  autograd::record("neg", {x}, {out}, [](const GradList& g) { return GradList{neg(g[0])}; });
  return out;
}
Tensor exp(const Tensor& x) {
  Tensor out = unary_forward(UnaryOp::Exp, x);
  autograd::record("exp", {x}, {out}, [out = out.detach()](const GradList& g) { return GradList{mul(g[0], out)}; });
  return out;
}
Tensor log(const Tensor& x) {
  Tensor out = unary_forward(UnaryOp::Log, x);
  autograd::record("log", {x}, {out}, [x](const GradList& g) { return GradList{div(g[0], x)}; });
  return out;
}
Tensor sqrt(const Tensor& x) {
  Tensor out = unary_forward(UnaryOp::Sqrt, x);
  autograd::record("sqrt", {x}, {out}, [out = out.detach()](const GradList& g) { return GradList{div(g[0], mul(out, 2.0))}; });
  return out;
}
Tensor abs(const Tensor& x) {
  Tensor out = unary_forward(UnaryOp::Abs, x);
  autograd::record("abs", {x}, {out}, [x](const GradList& g) { return GradList{mul(g[0], sign(x))}; });
  return out;
}
Tensor square(const Tensor& x) {
  Tensor out = unary_forward(UnaryOp::Square, x);
  autograd::record("square", {x}, {out}, [x](const GradList& g) { return GradList{mul(g[0], mul(x, 2.0))}; });
  return out;
}
Tensor reciprocal(const Tensor& x) {
  Tensor out = unary_forward(UnaryOp::Reciprocal, x);
  autograd::record("reciprocal", {x}, {out}, [out = out.detach()](const GradList& g) { return GradList{neg(mul(g[0], square(out)))}; });
  return out;
}
Tensor sign(const Tensor& x) {
  Tensor out = unary_forward(UnaryOp::Sign, x);
  autograd::record("sign", {x}, {out}, [](const GradList& g) { return GradList{zeros_like(g[0])}; });
  return out;
}
Tensor tanh(const Tensor& x) {
  Tensor out = unary_forward(UnaryOp::Tanh, x);
  autograd::record("tanh", {x}, {out}, [out = out.detach()](const GradList& g) {
    return GradList{mul(g[0], sub(scalar_tensor(1.0, TensorOptions(out.dtype()).with_device(out.device())), square(out)))};
  });
  return out;
}
Tensor sigmoid(const Tensor& x) {
  Tensor out = unary_forward(UnaryOp::Sigmoid, x);
  autograd::record("sigmoid", {x}, {out}, [out = out.detach()](const GradList& g) {
    return GradList{mul(g[0], mul(out, sub(scalar_tensor(1.0, TensorOptions(out.dtype()).with_device(out.device())), out)))};
  });
  return out;
}
Tensor relu(const Tensor& x) {
  Tensor out = unary_forward(UnaryOp::Relu, x);
  if (autograd::should_record({x}))
    autograd::record("relu", {x}, {out}, [out = out.detach()](const GradList& g) {
      return GradList{binary_forward("relu_backward", BinaryOp::ReluBackward, g[0], out, g[0].dtype())};
    });
  return out;
}
Tensor gelu(const Tensor& x) {
  Tensor out = unary_forward(UnaryOp::Gelu, x);
  autograd::record("gelu", {x}, {out}, [x](const GradList& g) {
    return GradList{binary_forward("gelu_backward", BinaryOp::GeluBackward, g[0], x, g[0].dtype())};
  });
  return out;
}
Tensor leaky_relu(const Tensor& x, double negative_slope) {
  Tensor out = unary_forward(UnaryOp::LeakyRelu, x, negative_slope);
  if (autograd::should_record({x}))
    autograd::record("leaky_relu", {x}, {out}, [x, negative_slope](const GradList& g) {
      // PyTorch's leaky_relu_backward: grad where x > 0, else grad * negative_slope.
      return GradList{where(gt(x, 0.0), g[0], mul(g[0], negative_slope))};
    });
  return out;
}
Tensor clamp(const Tensor& x, double lo, double hi) {
  EMBER_CHECK(std::isnan(lo) || std::isnan(hi) || lo <= hi, "clamp: lower bound ", lo, " exceeds upper bound ", hi);
  Tensor out = unary_forward(UnaryOp::Clamp, x, lo, hi);
  autograd::record("clamp", {x}, {out}, [x, lo, hi](const GradList& g) {
    Tensor keep = ones_like(x).to(DType::Bool);
    if (!std::isnan(lo)) keep = logical_and(keep, logical_not(lt(x, lo)));
    if (!std::isnan(hi)) keep = logical_and(keep, logical_not(gt(x, hi)));
    return GradList{where(keep, g[0], zeros_like(g[0]))};
  });
  return out;
}
Tensor clamp_min(const Tensor& x, double lo) { return clamp(x, lo, NAN); }
Tensor clamp_max(const Tensor& x, double hi) { return clamp(x, NAN, hi); }

// ---- comparisons and logic (no gradient) ----------------------------------------------------

#define EMBER_CMP(fn, OP)                                                                              \
  Tensor fn(const Tensor& a, const Tensor& b) { return binary_forward(#fn, BinaryOp::OP, a, b, arith_type(#fn, a, b)); }
EMBER_CMP(eq, Eq)
EMBER_CMP(ne, Ne)
EMBER_CMP(lt, Lt)
EMBER_CMP(le, Le)
EMBER_CMP(gt, Gt)
EMBER_CMP(ge, Ge)
#undef EMBER_CMP
Tensor eq(const Tensor& a, double b) { return eq(a, wrap(a, b)); }
Tensor gt(const Tensor& a, double b) { return gt(a, wrap(a, b)); }
Tensor lt(const Tensor& a, double b) { return lt(a, wrap(a, b)); }
Tensor logical_and(const Tensor& a, const Tensor& b) {
  return binary_forward("logical_and", BinaryOp::LogicalAnd, a, b, promote_types(a.dtype(), b.dtype()));
}
Tensor logical_or(const Tensor& a, const Tensor& b) {
  return binary_forward("logical_or", BinaryOp::LogicalOr, a, b, promote_types(a.dtype(), b.dtype()));
}
Tensor logical_not(const Tensor& x) { return unary_forward(UnaryOp::LogicalNot, x); }

Tensor isfinite(const Tensor& x) {
  ops::check_defined("isfinite", "input", x);
  if (!is_floating(x.dtype())) return ones(x.shape(), TensorOptions(DType::Bool).with_device(x.device()));
  NoGradGuard ng;
  Tensor d = x.detach();
  return eq(sub(d, d), 0.0);  // inf - inf and NaN - NaN are NaN
}

// ---- selection --------------------------------------------------------------------------

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  ops::check_defined("where", "condition", cond);
  ops::check_defined("where", "first value", a);
  ops::check_defined("where", "second value", b);
  EMBER_CHECK(cond.dtype() == DType::Bool, "where: condition must be bool, got ", dtype_name(cond.dtype()));
  ops::check_same_device("where", {cond, a, b});
  Shape s = broadcast_shapes(broadcast_shapes(cond.shape(), a.shape(), "where"), b.shape(), "where");
  DType t = promote_types(a.dtype(), b.dtype());
  Tensor out = make_empty(s, t, a.device());
  if (out.numel() > 0) {
    NoGradGuard ng;
    Tensor c = cond.expand(s), x = a.to(t).expand(s), y = b.to(t).expand(s);
    ops::kernel<kernels::WhereKernel>(a.device(), kernels::kWhere)(arg_of(c), arg_of(x), arg_of(y), arg_of(out));
  }
  autograd::record("where", {a, b}, {out}, [cond, a, b](const GradList& g) {
    Tensor z = zeros_like(g[0]);
    return GradList{a.requires_grad() ? grad_for(where(cond, g[0], z), a) : Tensor(),
                    b.requires_grad() ? grad_for(where(cond, z, g[0]), b) : Tensor()};
  });
  return out;
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  ops::check_defined("masked_fill", "input", x);
  ops::check_defined("masked_fill", "mask", mask);
  EMBER_CHECK(mask.dtype() == DType::Bool, "masked_fill: mask must be bool, got ", dtype_name(mask.dtype()));
  Shape s = broadcast_shapes(x.shape(), mask.shape(), "masked_fill");
  EMBER_CHECK(s == x.shape(), "masked_fill: mask of shape ", shape_str(mask.shape()),
              " does not broadcast to the input's shape ", shape_str(x.shape()));
  return where(mask, scalar_tensor(value, TensorOptions(x.dtype()).with_device(x.device())), x);
}

// ---- operators --------------------------------------------------------------------------

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& x) { return neg(x); }
Tensor operator+(const Tensor& a, double b) { return add(a, b); }
Tensor operator-(const Tensor& a, double b) { return sub(a, b); }
Tensor operator*(const Tensor& a, double b) { return mul(a, b); }
Tensor operator/(const Tensor& a, double b) { return div(a, b); }
Tensor operator+(double a, const Tensor& b) { return add(b, a); }
Tensor operator-(double a, const Tensor& b) { return sub(wrap(b, a), b); }
Tensor operator*(double a, const Tensor& b) { return mul(b, a); }
Tensor operator/(double a, const Tensor& b) { return div(wrap(b, a), b); }

}  // namespace ember
