// Matrix products: matmul (PyTorch semantics, broadcast batch dims) and linear, both on the
// one batched GEMM kernel. Backward is written with matmul itself, so it runs on every backend.
#include "ember/ops/linalg.h"

#include <algorithm>

#include "autograd/record.h"
#include "core/kernels/matmul.h"
#include "ember/ops/reduce.h"
#include "ops/autocast.h"
#include "ops/dispatch.h"

namespace ember {

using GradList = std::vector<Tensor>;

namespace {

Shape concat(Shape s, std::initializer_list<int64_t> tail) {
  s.insert(s.end(), tail);
  return s;
}
Shape batch_of(const Shape& s) { return Shape(s.begin(), s.end() - 2); }  // s has rank >= 2

/// Both operands floating and of one dtype; names the op, shapes and dtypes otherwise.
void check_dtypes(const char* op, const Tensor& a, const Tensor& b, const char* sep = " x ") {
  EMBER_CHECK(is_floating(a.dtype()) && is_floating(b.dtype()), op, ": ", shape_str(a.shape()), sep,
              shape_str(b.shape()), ": dtypes ", dtype_name(a.dtype()), " and ", dtype_name(b.dtype()),
              ": integer operands are not supported (floating-point only)");
  EMBER_CHECK(a.dtype() == b.dtype(), op, ": ", shape_str(a.shape()), sep, shape_str(b.shape()),
              ": dtypes ", dtype_name(a.dtype()), " and ", dtype_name(b.dtype()), " differ");
}

/// t (*, R, C) itself when its matrices are row- or column-major (possibly padded), else a
/// contiguous copy: layouts every backend's GEMM handles well.
Tensor gemm_operand(const Tensor& t) {
  const int64_t n = t.dim(), r = t.shape()[n - 2], c = t.shape()[n - 1];
  const int64_t sr = t.strides()[n - 2], sc = t.strides()[n - 1];
  bool row_major = (c == 1 || sc == 1) && (r == 1 || sr >= c);
  bool col_major = (r == 1 || sr == 1) && (c == 1 || sc >= r);
  return row_major || col_major ? t : t.contiguous();
}

/// Forward GEMM without autograd: a (*a, M, K) x b (*b, K, N) + bias (N) -> (*, M, N), where
/// * is the broadcast of *a and *b. Shapes already checked.
Tensor gemm(const char* op, const Tensor& a, const Tensor& b, const Tensor& bias) {
  NoGradGuard ng;
  const int64_t M = a.size(-2), K = a.size(-1), N = b.size(-1);
  Shape ba = batch_of(a.shape()), bb = batch_of(b.shape());
  Shape batch;
  const size_t nb = std::max(ba.size(), bb.size());
  for (size_t i = 0; i < nb; ++i) {
    int64_t x = i < nb - ba.size() ? 1 : ba[i - (nb - ba.size())];
    int64_t y = i < nb - bb.size() ? 1 : bb[i - (nb - bb.size())];
    EMBER_CHECK(x == y || x == 1 || y == 1, op, ": ", shape_str(a.shape()), " x ", shape_str(b.shape()),
                ": batch dimensions ", shape_str(ba), " and ", shape_str(bb), " cannot be broadcast");
    batch.push_back(x == 1 ? y : x);
  }
  Tensor out = make_empty(concat(batch, {M, N}), a.dtype(), a.device());
  if (out.numel() == 0) return out;
  Tensor x = gemm_operand(a).expand(concat(batch, {M, K}));
  Tensor y = gemm_operand(b).expand(concat(batch, {K, N}));
  TensorArg bias_arg = bias.defined() ? arg_of(bias) : TensorArg{};
  static const ops::KernelRef<kernels::MatmulKernel> kernel(kernels::kMatmul);
  kernel(a.device())(arg_of(x), arg_of(y), arg_of(out), bias.defined() ? &bias_arg : nullptr, 1.0, 0.0);
  return out;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  if (auto c = amp::detail::autocast_lower({a, b})) return matmul((*c)[0], (*c)[1]);
  ops::check_defined("matmul", "first operand", a);
  ops::check_defined("matmul", "second operand", b);
  ops::check_same_device("matmul", {a, b});
  EMBER_CHECK(a.dim() >= 1 && b.dim() >= 1, "matmul: ", shape_str(a.shape()), " x ", shape_str(b.shape()),
              ": both operands need at least one dimension");
  check_dtypes("matmul", a, b);
  const int64_t K = a.size(-1), Kb = b.dim() == 1 ? b.size(0) : b.size(-2);
  EMBER_CHECK(K == Kb, "matmul: ", shape_str(a.shape()), " x ", shape_str(b.shape()), ": inner dimensions ", K,
              " and ", Kb, " differ");

  // (*, K) x (K[, N]): fold the leading dims of a into the rows of one 2-D GEMM.
  if (a.dim() >= 3 && b.dim() <= 2) {
    Shape lead(a.shape().begin(), a.shape().end() - 1);
    const int64_t rows = shape_numel(lead);
    if (b.dim() == 2) lead.push_back(b.size(1));
    return matmul(a.reshape({rows, K}), b).reshape(lead);
  }

  // 1-D operands get a unit dim: (K) -> (1, K) on the left, (K) -> (K, 1) on the right.
  const Shape a2s = a.dim() == 1 ? Shape{1, K} : a.shape();
  const Shape b2s = b.dim() == 1 ? Shape{K, 1} : b.shape();
  Tensor out;
  {
    NoGradGuard ng;
    Tensor c = gemm("matmul", a.reshape(a2s), b.reshape(b2s), Tensor());  // (*, M, N)
    Shape s = batch_of(c.shape());
    if (a.dim() > 1) s.push_back(c.size(-2));
    if (b.dim() > 1) s.push_back(c.size(-1));
    out = c.reshape(s);
  }
  autograd::record("matmul", {a, b}, {out}, [a, b, a2s, b2s](const GradList& g) {
    if (!g[0].defined()) return GradList{Tensor(), Tensor()};
    Tensor a2 = a.reshape(a2s), b2 = b.reshape(b2s);
    const int64_t unit_dims = (a.dim() > 1 ? 1 : 0) + (b.dim() > 1 ? 1 : 0);  // M and N present in g
    Shape batch(g[0].shape().begin(), g[0].shape().end() - unit_dims);
    Tensor g2 = g[0].reshape(concat(batch, {a2s[a2s.size() - 2], b2s.back()}));  // (*, M, N)
    Tensor ga, gb;
    if (a.requires_grad()) ga = sum_to(matmul(g2, b2.transpose(-1, -2)), a2s).reshape(a.shape());  // dC . B^T
    if (b.requires_grad()) gb = sum_to(matmul(a2.transpose(-1, -2), g2), b2s).reshape(b.shape());  // A^T . dC
    return GradList{ga, gb};
  });
  return out;
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  if (auto c = amp::detail::autocast_lower({x, weight, bias})) return linear((*c)[0], (*c)[1], (*c)[2]);
  ops::check_defined("linear", "input", x);
  ops::check_defined("linear", "weight", weight);
  ops::check_same_device("linear", {x, weight, bias});
  EMBER_CHECK(weight.dim() == 2, "linear: weight must be 2-D (out, in), got ", shape_str(weight.shape()));
  EMBER_CHECK(x.dim() >= 1, "linear: input must have at least one dimension (*, in), got ", shape_str(x.shape()));
  check_dtypes("linear", x, weight, " with weight ");
  const int64_t in = weight.size(1), out_f = weight.size(0);
  EMBER_CHECK(x.size(-1) == in, "linear: input ", shape_str(x.shape()), " with weight ", shape_str(weight.shape()),
              ": input features ", x.size(-1), " and weight in-features ", in, " differ");
  if (bias.defined()) {
    check_dtypes("linear", x, bias, " with bias ");
    EMBER_CHECK(bias.dim() == 1 && bias.size(0) == out_f, "linear: bias ", shape_str(bias.shape()),
                " does not match weight ", shape_str(weight.shape()), " (expected [", out_f, "])");
  }
  Shape out_shape(x.shape().begin(), x.shape().end() - 1);
  const int64_t rows = shape_numel(out_shape);
  out_shape.push_back(out_f);
  Tensor out;
  {
    NoGradGuard ng;  // (rows, in) x (in, out) + bias: the weight is read transposed through its strides
    out = gemm("linear", x.reshape({rows, in}), weight.t(), bias).reshape(out_shape);
  }
  if (!autograd::should_record({x, weight, bias})) return out;  // inference: no closure to build
  autograd::record("linear", {x, weight, bias}, {out}, [x, weight, bias, rows, in, out_f](const GradList& g) {
    if (!g[0].defined()) return GradList{Tensor(), Tensor(), Tensor()};
    Tensor g2 = g[0].reshape({rows, out_f});  // (rows, out)
    Tensor gx, gw, gb;
    if (x.requires_grad()) gx = matmul(g2, weight).reshape(x.shape());
    if (weight.requires_grad()) gw = matmul(g2.t(), x.reshape({rows, in}));
    if (bias.defined() && bias.requires_grad()) gb = sum(g2, {0});
    return GradList{gx, gw, gb};
  });
  return out;
}

}  // namespace ember
