// CPU gradient clipping kernels (optim::clip_grad_norm_): the norm partial sum |x|^p (or max |x|)
// in double over a contiguous float32/float64 gradient, threaded in chunks combined in a fixed
// order (deterministic), and the in-place scaling by the clip coefficient.
#include <algorithm>
#include <cmath>
#include <mutex>
#include <utility>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/parallel.h"
#include "backends/cpu/strided.h"
#include "core/kernels/optim.h"

namespace ember::cpu {
namespace {

/// sum |x|^p (p finite) or max |x| (p infinite) over a contiguous CPU buffer, in double.
template <class T>
double reduce_flat(const T* x, int64_t n, double p) {
  const bool inf = std::isinf(p), two = p == 2.0;
  std::vector<std::pair<int64_t, double>> partial;  // (chunk start, chunk result)
  std::mutex mu;
  parallel_for(n, kGrainSize, [&](int64_t lo, int64_t hi) {
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

template <class T>
void scale_flat(T* x, int64_t n, double coef) {
  const T c = static_cast<T>(coef);
  parallel_for(n, kGrainSize, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) x[i] = x[i] * c;
  });
}

void grad_norm(const TensorArg& x, double p, double* out) {
  *out = x.dtype == DType::Float32 ? reduce_flat(ptr<const float>(x), x.numel(), p)
                                   : reduce_flat(ptr<const double>(x), x.numel(), p);
}

void grad_scale(const TensorArg& x, double c) {
  if (x.dtype == DType::Float32) scale_flat(ptr<float>(x), x.numel(), c);
  else scale_flat(ptr<double>(x), x.numel(), c);
}

}  // namespace

void register_clip_kernels(KernelTable& t) {
  t.set(kernels::kGradNorm, grad_norm);
  t.set(kernels::kGradScale, grad_scale);
}

}  // namespace ember::cpu
