// CPU reference kernels for batch norm (statistics, apply, backward; parallel over channels)
// and layer norm (forward and backward; parallel over rows). Sums accumulate in double.
// Batch norm takes the float32 fast paths of norm_fast.cpp first when fast paths are on.
#include <algorithm>
#include <cmath>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/dispatch.h"
#include "backends/cpu/fast_path.h"
#include "backends/cpu/norm_fast.h"
#include "backends/cpu/parallel.h"
#include "backends/cpu/strided.h"
#include "core/kernels/norm.h"

namespace ember::cpu {
namespace {

/// Statistics type: double for double inputs, float otherwise.
template <class T>
using stat_t = std::conditional_t<std::is_same_v<T, double>, double, float>;

/// Optional per-channel/per-column parameter read as acc_t (default when absent).
template <class T>
struct Param {
  const T* p = nullptr;
  int64_t stride = 0;
  acc_t<T> dflt;
  Param(const TensorArg* a, acc_t<T> d) : dflt(d) {
    if (a) {
      p = ptr<const T>(*a);
      stride = a->strides[0];
    }
  }
  acc_t<T> operator[](int64_t i) const { return p ? static_cast<acc_t<T>>(p[i * stride]) : dflt; }
};

// ---- batch norm: x is (N,C,S) ----------------------------------------------------------

template <class T>
void bn_stats_typed(const TensorArg& x, const TensorArg& mean, const TensorArg& var) {
  const int64_t N = x.sizes[0], C = x.sizes[1], S = x.sizes[2];
  const int64_t s0 = x.strides[0], s1 = x.strides[1], s2 = x.strides[2];
  const T* xp = ptr<const T>(x);
  stat_t<T>* mp = ptr<stat_t<T>>(mean);
  stat_t<T>* vp = ptr<stat_t<T>>(var);
  const double M = static_cast<double>(N * S);
  parallel_for(C, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(N * S, 1)), [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      double sum = 0;
      for (int64_t n = 0; n < N; ++n)
        for (int64_t s = 0; s < S; ++s) sum += static_cast<double>(xp[n * s0 + c * s1 + s * s2]);
      double m = sum / M, sq = 0;
      for (int64_t n = 0; n < N; ++n)
        for (int64_t s = 0; s < S; ++s) {
          double d = static_cast<double>(xp[n * s0 + c * s1 + s * s2]) - m;
          sq += d * d;
        }
      mp[c * mean.strides[0]] = static_cast<stat_t<T>>(m);
      vp[c * var.strides[0]] = static_cast<stat_t<T>>(sq / M);
    }
  });
}

template <class T>
void bn_apply_typed(const TensorArg& x, const TensorArg& mean, const TensorArg& rstd, const TensorArg* weight,
                    const TensorArg* bias, const TensorArg& out) {
  using A = acc_t<T>;
  const int64_t N = x.sizes[0], C = x.sizes[1], S = x.sizes[2];
  const T* xp = ptr<const T>(x);
  T* op = ptr<T>(out);
  const stat_t<T>* mp = ptr<const stat_t<T>>(mean);
  const stat_t<T>* rp = ptr<const stat_t<T>>(rstd);
  Param<T> w(weight, A(1)), bb(bias, A(0));
  parallel_for(N * C, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(S, 1)), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      int64_t n = p / C, c = p % C;
      A scale = static_cast<A>(rp[c * rstd.strides[0]]) * w[c];
      A shift = bb[c] - static_cast<A>(mp[c * mean.strides[0]]) * scale;
      const T* xr = xp + n * x.strides[0] + c * x.strides[1];
      T* orow = op + n * out.strides[0] + c * out.strides[1];
      for (int64_t s = 0; s < S; ++s)
        orow[s * out.strides[2]] = static_cast<T>(static_cast<A>(xr[s * x.strides[2]]) * scale + shift);
    }
  });
}

template <class T>
void bn_backward_typed(const TensorArg& grad, const TensorArg& x, const TensorArg& mean, const TensorArg& rstd,
                       const TensorArg* weight, bool training, const TensorArg* dx, const TensorArg* dweight,
                       const TensorArg* dbias) {
  const int64_t N = x.sizes[0], C = x.sizes[1], S = x.sizes[2];
  const T* xp = ptr<const T>(x);
  const T* gp = ptr<const T>(grad);
  const stat_t<T>* mp = ptr<const stat_t<T>>(mean);
  const stat_t<T>* rp = ptr<const stat_t<T>>(rstd);
  Param<T> w(weight, acc_t<T>(1));
  const double M = static_cast<double>(N * S);
  auto xat = [&](int64_t n, int64_t c, int64_t s) {
    return static_cast<double>(xp[n * x.strides[0] + c * x.strides[1] + s * x.strides[2]]);
  };
  auto gat = [&](int64_t n, int64_t c, int64_t s) {
    return static_cast<double>(gp[n * grad.strides[0] + c * grad.strides[1] + s * grad.strides[2]]);
  };
  parallel_for(C, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(N * S, 1)), [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      const double m = static_cast<double>(mp[c * mean.strides[0]]), r = static_cast<double>(rp[c * rstd.strides[0]]);
      double sum_g = 0, sum_gx = 0;
      if (training || dweight || dbias) {
        for (int64_t n = 0; n < N; ++n)
          for (int64_t s = 0; s < S; ++s) {
            double g = gat(n, c, s);
            sum_g += g;
            sum_gx += g * (xat(n, c, s) - m) * r;
          }
      }
      if (dweight) ptr<T>(*dweight)[c * dweight->strides[0]] = static_cast<T>(sum_gx);
      if (dbias) ptr<T>(*dbias)[c * dbias->strides[0]] = static_cast<T>(sum_g);
      if (!dx) continue;
      T* d = ptr<T>(*dx);
      const double k = static_cast<double>(w[c]) * r;
      for (int64_t n = 0; n < N; ++n)
        for (int64_t s = 0; s < S; ++s) {
          double g = gat(n, c, s), v;
          if (training) v = k / M * (M * g - sum_g - (xat(n, c, s) - m) * r * sum_gx);
          else v = k * g;
          d[n * dx->strides[0] + c * dx->strides[1] + s * dx->strides[2]] = static_cast<T>(v);
        }
    }
  });
}

// ---- layer norm: x is (M,N) ------------------------------------------------------------

template <class T>
void ln_forward_typed(const TensorArg& x, const TensorArg* weight, const TensorArg* bias, double eps,
                      const TensorArg& out, const TensorArg& mean, const TensorArg& rstd) {
  using A = acc_t<T>;
  const int64_t M = x.sizes[0], N = x.sizes[1];
  const T* xp = ptr<const T>(x);
  T* op = ptr<T>(out);
  stat_t<T>* mp = ptr<stat_t<T>>(mean);
  stat_t<T>* rp = ptr<stat_t<T>>(rstd);
  Param<T> w(weight, A(1)), bb(bias, A(0));
  parallel_for(M, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(N, 1)), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const T* xr = xp + i * x.strides[0];
      T* orow = op + i * out.strides[0];
      const int64_t sx = x.strides[1], so = out.strides[1];
      double sum = 0, sq = 0;
      for (int64_t j = 0; j < N; ++j) sum += static_cast<double>(xr[j * sx]);
      double m = N ? sum / static_cast<double>(N) : 0.0;
      for (int64_t j = 0; j < N; ++j) {
        double d = static_cast<double>(xr[j * sx]) - m;
        sq += d * d;
      }
      double r = 1.0 / std::sqrt((N ? sq / static_cast<double>(N) : 0.0) + eps);
      mp[i * mean.strides[0]] = static_cast<stat_t<T>>(m);
      rp[i * rstd.strides[0]] = static_cast<stat_t<T>>(r);
      const A am = static_cast<A>(m), ar = static_cast<A>(r);
      for (int64_t j = 0; j < N; ++j)
        orow[j * so] = static_cast<T>((static_cast<A>(xr[j * sx]) - am) * ar * w[j] + bb[j]);
    }
  });
}

template <class T>
void ln_backward_typed(const TensorArg& grad, const TensorArg& x, const TensorArg& mean, const TensorArg& rstd,
                       const TensorArg* weight, const TensorArg* dx, const TensorArg* dweight, const TensorArg* dbias) {
  const int64_t M = x.sizes[0], N = x.sizes[1];
  const T* xp = ptr<const T>(x);
  const T* gp = ptr<const T>(grad);
  const stat_t<T>* mp = ptr<const stat_t<T>>(mean);
  const stat_t<T>* rp = ptr<const stat_t<T>>(rstd);
  Param<T> w(weight, acc_t<T>(1));
  auto xat = [&](int64_t i, int64_t j) { return static_cast<double>(xp[i * x.strides[0] + j * x.strides[1]]); };
  auto gat = [&](int64_t i, int64_t j) { return static_cast<double>(gp[i * grad.strides[0] + j * grad.strides[1]]); };
  auto mat = [&](int64_t i) { return static_cast<double>(mp[i * mean.strides[0]]); };
  auto rat = [&](int64_t i) { return static_cast<double>(rp[i * rstd.strides[0]]); };
  if (dx) {
    T* d = ptr<T>(*dx);
    parallel_for(M, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(N, 1)), [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const double m = mat(i), r = rat(i), n = static_cast<double>(N);
        double sum_gw = 0, sum_gwx = 0;
        for (int64_t j = 0; j < N; ++j) {
          double gw = gat(i, j) * static_cast<double>(w[j]);
          sum_gw += gw;
          sum_gwx += gw * (xat(i, j) - m) * r;
        }
        for (int64_t j = 0; j < N; ++j) {
          double gw = gat(i, j) * static_cast<double>(w[j]);
          double v = r / n * (n * gw - sum_gw - (xat(i, j) - m) * r * sum_gwx);
          d[i * dx->strides[0] + j * dx->strides[1]] = static_cast<T>(v);
        }
      }
    });
  }
  if (dweight || dbias) {
    // Column sums over rows: each chunk of columns walks all rows.
    parallel_for(N, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(M, 1)), [&](int64_t b, int64_t e) {
      std::vector<double> sw(static_cast<size_t>(e - b), 0.0), sb(static_cast<size_t>(e - b), 0.0);
      for (int64_t i = 0; i < M; ++i) {
        const double m = mat(i), r = rat(i);
        for (int64_t j = b; j < e; ++j) {
          double g = gat(i, j);
          sb[j - b] += g;
          sw[j - b] += g * (xat(i, j) - m) * r;
        }
      }
      for (int64_t j = b; j < e; ++j) {
        if (dweight) ptr<T>(*dweight)[j * dweight->strides[0]] = static_cast<T>(sw[j - b]);
        if (dbias) ptr<T>(*dbias)[j * dbias->strides[0]] = static_cast<T>(sb[j - b]);
      }
    });
  }
}

void bn_stats_kernel(const TensorArg& x, const TensorArg& mean, const TensorArg& var) {
  if (fast_paths_enabled() && (bn_stats_fast(x, mean, var) || bn_stats_nhwc(x, mean, var))) return;
  EMBER_DISPATCH_FLOATING(x.dtype, "batch_norm", { bn_stats_typed<scalar_t>(x, mean, var); });
}
void bn_apply_kernel(const TensorArg& x, const TensorArg& mean, const TensorArg& rstd, const TensorArg* w,
                     const TensorArg* b, const TensorArg& out) {
  if (fast_paths_enabled() && (bn_apply_fast(x, mean, rstd, w, b, out) || bn_apply_nhwc(x, mean, rstd, w, b, out))) return;
  EMBER_DISPATCH_FLOATING(x.dtype, "batch_norm", { bn_apply_typed<scalar_t>(x, mean, rstd, w, b, out); });
}
void bn_forward_kernel(const TensorArg& x, const TensorArg* w, const TensorArg* b, double eps, const TensorArg& out,
                       const TensorArg& mean, const TensorArg& var, const TensorArg& rstd) {
  if (fast_paths_enabled() &&
      (bn_forward_fast(x, w, b, eps, out, mean, var, rstd) || bn_forward_nhwc(x, w, b, eps, out, mean, var, rstd)))
    return;
  bn_stats_kernel(x, mean, var);
  EMBER_DISPATCH_FLOATING(x.dtype, "batch_norm", {
    using S = stat_t<scalar_t>;
    const S* vp = ptr<const S>(var);
    S* rp = ptr<S>(rstd);
    for (int64_t c = 0; c < x.sizes[1]; ++c)
      rp[c * rstd.strides[0]] = static_cast<S>(1.0 / std::sqrt(static_cast<double>(vp[c * var.strides[0]]) + eps));
  });
  bn_apply_kernel(x, mean, rstd, w, b, out);
}
void bn_backward_kernel(const TensorArg& g, const TensorArg& x, const TensorArg& mean, const TensorArg& rstd,
                        const TensorArg* w, bool training, const TensorArg* dx, const TensorArg* dw,
                        const TensorArg* db) {
  if (fast_paths_enabled() && (bn_backward_fast(g, x, mean, rstd, w, training, dx, dw, db) ||
                               bn_backward_nhwc(g, x, mean, rstd, w, training, dx, dw, db)))
    return;
  EMBER_DISPATCH_FLOATING(x.dtype, "batch_norm_backward",
                          { bn_backward_typed<scalar_t>(g, x, mean, rstd, w, training, dx, dw, db); });
}
void ln_forward_kernel(const TensorArg& x, const TensorArg* w, const TensorArg* b, double eps, const TensorArg& out,
                       const TensorArg& mean, const TensorArg& rstd) {
  EMBER_DISPATCH_FLOATING(x.dtype, "layer_norm", { ln_forward_typed<scalar_t>(x, w, b, eps, out, mean, rstd); });
}
void ln_backward_kernel(const TensorArg& g, const TensorArg& x, const TensorArg& mean, const TensorArg& rstd,
                        const TensorArg* w, const TensorArg* dx, const TensorArg* dw, const TensorArg* db) {
  EMBER_DISPATCH_FLOATING(x.dtype, "layer_norm_backward",
                          { ln_backward_typed<scalar_t>(g, x, mean, rstd, w, dx, dw, db); });
}

}  // namespace

void register_norm_kernels(KernelTable& t) {
  t.set(kernels::kBatchNormStats, bn_stats_kernel);
  t.set(kernels::kBatchNormApply, bn_apply_kernel);
  t.set(kernels::kBatchNormForward, bn_forward_kernel);
  t.set(kernels::kBatchNormBackward, bn_backward_kernel);
  t.set(kernels::kLayerNormForward, ln_forward_kernel);
  t.set(kernels::kLayerNormBackward, ln_backward_kernel);
}

}  // namespace ember::cpu
