// clip_grad_norm_ / clip_grad_value_: the total gradient norm in float64 (the device's fused
// kernels grad_norm / grad_scale for contiguous float32/float64 gradients where it has them, the
// CPU's in backends/cpu/clip.cpp; tensor ops otherwise) and in-place scaling/clamping.
#include "ember/optim/clip.h"

#include <cmath>

#include "core/kernels/optim.h"
#include "ember/autograd.h"
#include "ember/ops/elementwise.h"
#include "ember/ops/reduce.h"
#include "ops/dispatch.h"

namespace ember::optim {
namespace {

const ops::KernelRef<ember::kernels::GradNormKernel>& norm_kernel() {
  static const ops::KernelRef<ember::kernels::GradNormKernel> k(ember::kernels::kGradNorm);
  return k;
}
const ops::KernelRef<ember::kernels::GradScaleKernel>& scale_kernel() {
  static const ops::KernelRef<ember::kernels::GradScaleKernel> k(ember::kernels::kGradScale);
  return k;
}

/// A gradient the device's clipping kernels take (the CPU's: contiguous float32/float64).
bool flat(const Tensor& g) {
  return g.is_contiguous() && (g.dtype() == DType::Float32 || g.dtype() == DType::Float64) &&
         norm_kernel()(g.device()).native() && scale_kernel()(g.device()).native();
}

/// The same reduction for one gradient of any dtype/device/layout.
double reduce_grad(const Tensor& g, double p) {
  if (g.numel() == 0) return 0.0;
  if (flat(g)) {
    double r = 0.0;
    norm_kernel()(g.device())(arg_of(g), p, &r);
    return r;
  }
  Tensor a = abs(g.to(DType::Float64));
  if (std::isinf(p)) return max(a).item<double>();
  return sum(p == 2.0 ? square(a) : pow(a, p)).item<double>();
}

}  // namespace

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type, bool error_if_nonfinite) {
  EMBER_CHECK(max_norm >= 0, "clip_grad_norm_: max_norm must be >= 0, got ", max_norm);
  EMBER_CHECK(norm_type > 0, "clip_grad_norm_: norm_type must be > 0 (or INFINITY), got ", norm_type);
  NoGradGuard ng;
  std::vector<Tensor> grads;
  for (size_t i = 0; i < params.size(); ++i) {
    EMBER_CHECK(params[i].defined(), "clip_grad_norm_: parameter ", i, " is undefined");
    Tensor g = params[i].grad();
    if (!g.defined()) continue;
    EMBER_CHECK(is_floating(g.dtype()), "clip_grad_norm_: gradient of parameter ", i, " has dtype ",
                dtype_name(g.dtype()));
    grads.push_back(g);
  }
  if (grads.empty()) return 0.0;
  const bool inf = std::isinf(norm_type);
  double acc = 0.0;
  for (const Tensor& g : grads) {
    double r = reduce_grad(g, norm_type);
    acc = inf ? ((r > acc || std::isnan(r)) ? r : acc) : acc + r;
  }
  double total = inf ? acc : (norm_type == 2.0 ? std::sqrt(acc) : std::pow(acc, 1.0 / norm_type));
  EMBER_CHECK(!error_if_nonfinite || std::isfinite(total), "clip_grad_norm_: the total norm of order ", norm_type,
              " of the gradients is ", total, "; set error_if_nonfinite=false to clip anyway");
  double coef = max_norm / (total + 1e-6);
  if (coef < 1.0) {
    for (const Tensor& g : grads) {
      if (g.numel() == 0) continue;
      if (flat(g)) {
        scale_kernel()(g.device())(arg_of(g), coef);
      } else {
        g.copy_(mul(g, coef));
      }
    }
  }
  return total;
}

void clip_grad_value_(const std::vector<Tensor>& params, double clip_value) {
  EMBER_CHECK(clip_value >= 0, "clip_grad_value_: clip_value must be >= 0, got ", clip_value);
  NoGradGuard ng;
  for (size_t i = 0; i < params.size(); ++i) {
    EMBER_CHECK(params[i].defined(), "clip_grad_value_: parameter ", i, " is undefined");
    Tensor g = params[i].grad();
    if (!g.defined()) continue;
    g.copy_(clamp(g, -clip_value, clip_value));
  }
}

}  // namespace ember::optim
