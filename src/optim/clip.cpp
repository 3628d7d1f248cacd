// clip_grad_norm_ / clip_grad_value_: the total gradient norm in float64 (a fused loop for
// contiguous float32/float64 CPU gradients, tensor ops otherwise) and in-place scaling/clamping.
#include "ember/optim/clip.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <utility>

#include "backends/cpu/parallel.h"
#include "ember/autograd.h"
#include "ember/ops/elementwise.h"
#include "ember/ops/reduce.h"

namespace ember::optim {
namespace {

bool flat_cpu(const Tensor& g) {
  return g.device().is_cpu() && g.is_contiguous() && (g.dtype() == DType::Float32 || g.dtype() == DType::Float64);
}

/// sum |x|^p (p finite) or max |x| (p infinite) over a contiguous CPU buffer, in double.
template <class T>
double reduce_flat(const T* x, int64_t n, double p) {
  const bool inf = std::isinf(p), two = p == 2.0;
  std::vector<std::pair<int64_t, double>> partial;  // (chunk start, chunk result)
  std::mutex mu;
  cpu::parallel_for(n, cpu::kGrainSize, [&](int64_t lo, int64_t hi) {
    double acc = 0.0;
    for (int64_t i = lo; i < hi; ++i) {
      double a = std::abs(static_cast<double>(x[i]));
      if (inf) acc = (a > acc || std::isnan(a)) ? a : acc;
      else acc += two ? a * a : std::pow(a, p);
    }
    std::lock_guard<std::mutex> lock(mu);
    partial.emplace_back(lo, acc);
  });
  std::sort(partial.begin(), partial.end());  // combine in a fixed order: deterministic results
  double r = 0.0;
  for (const auto& [lo, v] : partial) r = inf ? ((v > r || std::isnan(v)) ? v : r) : r + v;
  return r;
}

/// The same reduction for one gradient of any dtype/device/layout.
double reduce_grad(const Tensor& g, double p) {
  if (flat_cpu(g)) {
    return g.dtype() == DType::Float32 ? reduce_flat(g.data_ptr<float>(), g.numel(), p)
                                       : reduce_flat(g.data_ptr<double>(), g.numel(), p);
  }
  if (g.numel() == 0) return 0.0;
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
      if (flat_cpu(g)) {
        auto scale = [&](auto* x) {
          using T = std::remove_pointer_t<decltype(x)>;
          const T c = static_cast<T>(coef);
          cpu::parallel_for(g.numel(), cpu::kGrainSize, [&](int64_t lo, int64_t hi) {
            for (int64_t i = lo; i < hi; ++i) x[i] = x[i] * c;
          });
        };
        if (g.dtype() == DType::Float32) scale(g.data_ptr<float>());
        else scale(g.data_ptr<double>());
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
