// Losses: fused cross-entropy (log-softmax + NLL + label smoothing in one forward and one
// backward kernel), NLL through a pick kernel, MSE composed from elementwise ops, and a
// numerically stable BCE-with-logits with a closed-form backward.
#include "autograd/record.h"
#include "core/kernels/softmax.h"
#include "ember/ops/elementwise.h"
#include "ember/ops/loss.h"
#include "ember/ops/reduce.h"
#include "ops/dispatch.h"
#include "ops/autocast.h"

namespace ember {

using GradList = std::vector<Tensor>;

namespace {

/// Class-indexed inputs flattened to x2 (M,C) and t1 (M), plus the unreduced loss shape.
struct ClassFlat {
  Tensor x2, t1;
  Shape loss_shape;
};

/// Accepts (C) with target (), (N,C) with (N), and (N,C,d1..) with (N,d1..) (C moved last).
ClassFlat flatten_classes(const char* op, const char* what, const Tensor& x, const Tensor& target) {
  ops::check_defined(op, what, x);
  ops::check_defined(op, "target", target);
  ops::check_floating(op, what, x);
  ops::check_same_device(op, {x, target});
  EMBER_CHECK(target.dtype() == DType::Int64, op, ": target must hold int64 class indices, got ",
              dtype_name(target.dtype()), " ", shape_str(target.shape()));
  EMBER_CHECK(x.dim() >= 1, op, ": ", what, " must be (C), (N,C) or (N,C,d1,...), got ", shape_str(x.shape()));
  Shape expect = x.shape();
  if (x.dim() == 1) expect.clear();
  else expect.erase(expect.begin() + 1);
  EMBER_CHECK(target.shape() == expect, op, ": ", what, " ", shape_str(x.shape()), " and target ",
              shape_str(target.shape()), " do not match (expected target ", shape_str(expect), ")");
  int64_t C = x.dim() == 1 ? x.size(0) : x.size(1);
  EMBER_CHECK(C > 0, op, ": ", what, " ", shape_str(x.shape()), " has no classes");
  ClassFlat f;
  f.loss_shape = expect;
  if (x.dim() == 1) {
    f.x2 = x.unsqueeze(0);
    f.t1 = target.reshape({1});
  } else if (x.dim() == 2) {
    f.x2 = x;
    f.t1 = target;
  } else {
    std::vector<int64_t> perm{0};
    for (int64_t i = 2; i < x.dim(); ++i) perm.push_back(i);
    perm.push_back(1);
    f.x2 = x.permute(perm).reshape({-1, C});
    f.t1 = target.reshape({-1});
  }
  return f;
}

void check_reduction(const char* op, Reduction r) {
  EMBER_CHECK(r == Reduction::None || r == Reduction::Mean || r == Reduction::Sum, op, ": unknown reduction ",
              static_cast<int>(r));
}

/// Reduces a per-sample loss (no autograd) and returns the scale a broadcast gradient gets.
Tensor reduce_loss(const Tensor& loss, Reduction r, double* scale) {
  NoGradGuard ng;
  *scale = 1.0;
  if (r == Reduction::None) return loss;
  Tensor s = sum(loss);
  if (r == Reduction::Sum) return s;
  *scale = 1.0 / static_cast<double>(loss.numel());
  return div(s, static_cast<double>(loss.numel()));  // 0/0 = NaN for an empty batch, as PyTorch
}

/// Per-sample gradient (M) from the gradient of the (possibly reduced) loss.
Tensor per_sample_grad(const Tensor& g, int64_t m, Reduction r) {
  return r == Reduction::None ? g.reshape({m}) : g.reshape({1}).expand({m});
}

/// Fused cross-entropy on x (M,C) and t (M): one node, one forward and one backward kernel.
Tensor cross_entropy_2d(const Tensor& x, const Tensor& t, double ls, Reduction r) {
  const int64_t M = x.size(0), C = x.size(1);
  DType stat = x.dtype() == DType::Float64 ? DType::Float64 : DType::Float32;
  Tensor loss = make_empty({M}, x.dtype(), x.device());
  Tensor lse = make_empty({M}, stat, x.device());
  if (M > 0)
    ops::kernel<kernels::CrossEntropyForwardKernel>(x.device(), kernels::kCrossEntropyForward)(
        arg_of(x), arg_of(t), arg_of(loss), arg_of(lse), ls);
  double scale = 1.0;
  Tensor out = reduce_loss(loss, r, &scale);
  autograd::record("cross_entropy", {x}, {out},
                   [xd = x.detach(), t, lse, ls, r, scale, M, C](const GradList& g) {
                     Tensor dx = make_empty({M, C}, xd.dtype(), xd.device());
                     if (M == 0) return GradList{dx};
                     Tensor gs = per_sample_grad(g[0].to(xd.dtype()), M, r);
                     ops::kernel<kernels::CrossEntropyBackwardKernel>(xd.device(), kernels::kCrossEntropyBackward)(
                         arg_of(xd), arg_of(t), arg_of(lse), arg_of(gs), scale, ls, arg_of(dx));
                     return GradList{dx};
                   });
  return out;
}

/// NLL on log-probabilities lp (M,C) and t (M) through the pick kernels.
Tensor nll_2d(const Tensor& lp, const Tensor& t, Reduction r) {
  const int64_t M = lp.size(0), C = lp.size(1);
  Tensor loss = make_empty({M}, lp.dtype(), lp.device());
  if (M > 0)
    ops::kernel<kernels::NllForwardKernel>(lp.device(), kernels::kNllForward)(arg_of(lp), arg_of(t), arg_of(loss));
  double scale = 1.0;
  Tensor out = reduce_loss(loss, r, &scale);
  autograd::record("nll_loss", {lp}, {out}, [dt = lp.dtype(), dev = lp.device(), t, r, scale, M, C](const GradList& g) {
    Tensor dlp = make_empty({M, C}, dt, dev);
    if (M == 0) return GradList{dlp};
    Tensor gs = per_sample_grad(g[0].to(dt), M, r);
    ops::kernel<kernels::NllBackwardKernel>(dev, kernels::kNllBackward)(arg_of(t), arg_of(gs), scale, arg_of(dlp));
    return GradList{dlp};
  });
  return out;
}

Tensor unflatten(const Tensor& out, const ClassFlat& f, Reduction r) {
  return r == Reduction::None ? out.reshape(f.loss_shape) : out;
}

}  // namespace

Tensor cross_entropy(const Tensor& logits, const Tensor& target, double label_smoothing, Reduction reduction) {
  if (auto c = amp::detail::autocast_fp32({logits})) return cross_entropy((*c)[0], target, label_smoothing, reduction);
  check_reduction("cross_entropy", reduction);
  EMBER_CHECK(label_smoothing >= 0.0 && label_smoothing < 1.0, "cross_entropy: label_smoothing must be in [0,1), got ",
              label_smoothing);
  ClassFlat f = flatten_classes("cross_entropy", "logits", logits, target);
  return unflatten(cross_entropy_2d(f.x2, f.t1, label_smoothing, reduction), f, reduction);
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, Reduction reduction) {
  if (auto c = amp::detail::autocast_fp32({log_probs})) return nll_loss((*c)[0], target, reduction);
  check_reduction("nll_loss", reduction);
  ClassFlat f = flatten_classes("nll_loss", "log_probs", log_probs, target);
  return unflatten(nll_2d(f.x2, f.t1, reduction), f, reduction);
}

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  if (auto c = amp::detail::autocast_fp32({input, target})) return mse_loss((*c)[0], (*c)[1], reduction);
  check_reduction("mse_loss", reduction);
  ops::check_defined("mse_loss", "input", input);
  ops::check_defined("mse_loss", "target", target);
  ops::check_floating("mse_loss", "input", input);
  ops::check_same_device("mse_loss", {input, target});
  broadcast_shapes(input.shape(), target.shape(), "mse_loss");
  Tensor sq = square(sub(input, target));
  if (reduction == Reduction::None) return sq;
  if (reduction == Reduction::Sum) return sum(sq);
  if (sq.numel() == 0) return div(sum(sq), 0.0);  // NaN, as PyTorch
  return mean(sq);
}

Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target, Reduction reduction) {
  if (auto c = amp::detail::autocast_fp32({logits, target}))
    return binary_cross_entropy_with_logits((*c)[0], (*c)[1], reduction);
  const char* op = "binary_cross_entropy_with_logits";
  check_reduction(op, reduction);
  ops::check_defined(op, "logits", logits);
  ops::check_defined(op, "target", target);
  ops::check_floating(op, "logits", logits);
  ops::check_same_device(op, {logits, target});
  EMBER_CHECK(logits.shape() == target.shape(), op, ": logits ", shape_str(logits.shape()), " and target ",
              shape_str(target.shape()), " must have the same shape");
  Tensor t = target.to(logits.dtype());  // differentiable conversion
  Tensor loss;
  {
    // max(x,0) - x*t + log(1 + exp(-|x|)): no overflow for large |x|.
    NoGradGuard ng;
    loss = add(sub(clamp_min(logits, 0.0), mul(logits, t)), log(add(exp(neg(abs(logits))), 1.0)));
  }
  double scale = 1.0;
  Tensor out = reduce_loss(loss, reduction, &scale);
  autograd::record(op, {logits, t}, {out},
                   [x = logits.detach(), td = t.detach(), reduction, scale](const GradList& g) {
                     Tensor gf = reduction == Reduction::None ? g[0] : mul(g[0].expand(x.shape()), scale);
                     return GradList{mul(sub(sigmoid(x), td), gf), neg(mul(x, gf))};
                   });
  return out;
}

}  // namespace ember
