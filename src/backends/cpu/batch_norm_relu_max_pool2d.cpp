// CPU kernels of the fused training block max_pool2d(relu(batch_norm(x)), 2) (core/kernels/fused.h).
// Per channel (channels in parallel): the batch statistics, then one pass that normalises each
// 2x2 window, keeps its maximum through the ReLU and records which element won. Three full-size
// tensors (the normalised and rectified maps and the pooling indices) are never written, and the
// backward reads only the pooled gradient, the winner codes and x. A channel's planes stay in
// cache between its passes. float32 and bfloat16 inputs go through the float32 vector blocks of
// vec2x2.h (bfloat16 widened on load, dx rounded back on store), float64 through plain loops.
// Channels-last inputs go to batch_norm_relu_max_pool2d_nhwc.cpp.
#include <cmath>
#include <type_traits>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/dispatch.h"
#include "backends/cpu/batch_norm_relu_max_pool2d_common.h"
#include "backends/cpu/batch_norm_relu_max_pool2d_nhwc.h"
#include "backends/cpu/parallel.h"
#include "backends/cpu/strided.h"
#include "backends/cpu/vec2x2.h"
#include "core/kernels/fused.h"

namespace ember::cpu {
namespace {

using kernels::kBatchNormReluMaxPool2dDead;
using namespace batch_norm_relu_max_pool2d_impl;
using vec::Lanes;
using vec::load;
using vec::store;
using vec::Windows;

/// Geometry of one call: x (N,C,H,W) contiguous, pooled (OH,OW).
struct Geom {
  int64_t N, C, H, W, OH, OW;
  explicit Geom(const TensorArg& x)
      : N(x.sizes[0]), C(x.sizes[1]), H(x.sizes[2]), W(x.sizes[3]), OH(x.sizes[2] / 2), OW(x.sizes[3] / 2) {}
  int64_t plane() const { return H * W; }
  int64_t out_plane() const { return OH * OW; }
  /// Channels per parallel chunk: enough elements to be worth a thread.
  int64_t grain() const { return std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, N * plane())); }
};

/// Biased mean and variance of channel c: plane sums in T, the total in double; the variance is
/// taken about the mean rounded to T, corrected for that rounding (as the batch norm kernels do).
template <class E, class T = compute_t<E>>
void channel_moments(const E* x, const Geom& g, int64_t c, T& mean, double& var) {
  const int64_t S = g.plane();
  const double M = static_cast<double>(g.N * S);
  double sum = 0;
  for (int64_t n = 0; n < g.N; ++n) {
    const E* p = x + (n * g.C + c) * S;
    T s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < S; ++i) s += static_cast<T>(p[i]);
    sum += s;
  }
  mean = static_cast<T>(sum / M);
  double sq = 0, sd = 0;
  for (int64_t n = 0; n < g.N; ++n) {
    const E* p = x + (n * g.C + c) * S;
    T q = 0, t = 0;
#pragma omp simd reduction(+ : q, t)
    for (int64_t i = 0; i < S; ++i) {
      const T d = static_cast<T>(p[i]) - mean;
      q += d * d;
      t += d;
    }
    sq += q, sd += t;
  }
  var = std::max(0.0, (sq - sd * sd / M) / M);
}

template <int L, class E>
inline void pool_block(const E* r0, const E* r1, float* o, uint8_t* code, float scale, float shift) {
  using V = Lanes<L>;
  using F = typename V::F;
  using I = typename V::I;
  const Windows<L> w(r0, r1);
  const F v0 = w.x0 * scale + shift, v1 = w.x1 * scale + shift, v2 = w.x2 * scale + shift, v3 = w.x3 * scale + shift;
  const F m01 = v1 > v0 ? v1 : v0, m23 = v3 > v2 ? v3 : v2;
  const F best = m23 > m01 ? m23 : m01;
  const I k = v0 == best ? I{} : v1 == best ? I{} + 1 : v2 == best ? I{} + 2 : I{} + 3;
  const I live = (best > 0) | (best != best);  // a NaN stays visible (and takes position 3)
  store(o, live ? best : F{});
  vec::store_codes<L>(code, live ? k : I{} + kBatchNormReluMaxPool2dDead);
}

/// One output row, scalar: any types, any n. The first maximum wins (a NaN stays visible).
template <class E, class T>
inline void pool_scalar(const E* r0, const E* r1, T* o, uint8_t* code, int64_t n, T scale, T shift) {
  for (int64_t i = 0; i < n; ++i) {
    const T v[4] = {static_cast<T>(r0[2 * i]) * scale + shift, static_cast<T>(r0[2 * i + 1]) * scale + shift,
                    static_cast<T>(r1[2 * i]) * scale + shift, static_cast<T>(r1[2 * i + 1]) * scale + shift};
    int k = 0;
    for (int j = 1; j < 4; ++j)
      if (v[j] > v[k] || (v[j] != v[j] && v[k] == v[k])) k = j;
    const bool live = v[k] > 0 || v[k] != v[k];
    o[i] = live ? v[k] : T(0);
    code[i] = static_cast<uint8_t>(live ? k : kBatchNormReluMaxPool2dDead);
  }
}

/// One output row of n windows over input rows r0, r1: normalised v*scale + shift, the first
/// maximum through the ReLU, and its winner code.
template <class E, class T>
inline void pool_row(const E* r0, const E* r1, T* o, uint8_t* code, int64_t n, T scale, T shift) {
  if constexpr (std::is_same_v<T, float>) {
    auto block = [&]<int L>(int64_t j) { pool_block<L>(r0 + 2 * j, r1 + 2 * j, o + j, code + j, scale, shift); };
    if (vec::for_blocks(n, block)) return;
  }
  pool_scalar(r0, r1, o, code, n, scale, shift);
}

/// E: x's element type; out, statistics and parameters are compute_t<E>.
template <class E>
void forward_typed(const TensorArg& xa, const TensorArg* wa, const TensorArg* ba, double eps, const TensorArg& oa,
                   const TensorArg& ca, const TensorArg& ma, const TensorArg& va, const TensorArg& ra) {
  using T = compute_t<E>;
  const Geom g(xa);
  const E* x = ptr<const E>(xa);
  T* out = ptr<T>(oa);
  uint8_t* code = ptr<uint8_t>(ca);
  const ChannelParam<T> w(wa, T(1)), b(ba, T(0));
  parallel_for(g.C, g.grain(), [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c) {
      T m;
      double v;
      channel_moments(x, g, c, m, v);
      const T r = store_moments(ma, va, ra, c, m, v, eps);
      const T scale = r * w[c], shift = b[c] - m * scale;
      for (int64_t n = 0; n < g.N; ++n) {
        const E* xp = x + (n * g.C + c) * g.plane();
        const int64_t o = (n * g.C + c) * g.out_plane();
        for (int64_t oh = 0; oh < g.OH; ++oh)
          pool_row(xp + 2 * oh * g.W, xp + (2 * oh + 1) * g.W, out + o + oh * g.OW, code + o + oh * g.OW, g.OW, scale,
                   shift);
      }
    }
  });
}

/// Adds to sg and sgd the gradients of one output row's n windows that reach a winner, and
/// each times its x - m (a dead window contributes 0).
template <class E, class T>
inline void winner_sums(const E* r0, const E* r1, const T* g, const uint8_t* code, int64_t n, T m, double& sg,
                        double& sgd) {
  int64_t j = 0;
  if constexpr (std::is_same_v<T, float>) {
    if (n >= 4) {
      using V = Lanes<4>;
      using F = V::F;
      using I = V::I;
      F a{}, b{};
      // skip: lanes of this block an earlier block already counted (the overlapping last one).
      auto block = [&](int64_t at, int32_t skip) {
        const Windows<4> w(r0 + 2 * at, r1 + 2 * at);
        const I k = vec::load_codes<4>(code + at);
        const F gv = (k == kBatchNormReluMaxPool2dDead) | (V::lane() < skip) ? F{} : load<F>(g + at);
        const F xw = k == 0 ? w.x0 : k == 1 ? w.x1 : k == 2 ? w.x2 : w.x3;
        a += gv;
        b += gv * (xw - m);
      };
      for (; j + 4 <= n; j += 4) block(j, 0);
      if (j < n) block(n - 4, static_cast<int32_t>(j - (n - 4)));
      for (int i = 0; i < 4; ++i) sg += a[i], sgd += b[i];
      return;
    }
  }
  for (; j < n; ++j) {
    const uint8_t k = code[j];
    if (k == kBatchNormReluMaxPool2dDead) continue;
    const T x = static_cast<T>((k & 2 ? r1 : r0)[2 * j + (k & 1)]);
    sg += g[j];
    sgd += static_cast<double>(g[j]) * static_cast<double>(x - m);
  }
}

template <int L, class E>
inline void dx_block(const E* r0, const E* r1, E* d0, E* d1, const float* g, const uint8_t* code, float m, float a,
                     float bx, float c0) {
  using V = Lanes<L>;
  using F = typename V::F;
  using I = typename V::I;
  const Windows<L> w(r0, r1);
  const I k = vec::load_codes<L>(code);
  const F ag = k == kBatchNormReluMaxPool2dDead ? F{} : a * load<F>(g);
  const F y0 = bx * (w.x0 - m) + c0 + (k == 0 ? ag : F{}), y1 = bx * (w.x1 - m) + c0 + (k == 1 ? ag : F{});
  const F y2 = bx * (w.x2 - m) + c0 + (k == 2 ? ag : F{}), y3 = bx * (w.x3 - m) + c0 + (k == 3 ? ag : F{});
  vec::store_windows<L>(d0, d1, y0, y1, y2, y3);
}

/// dx of one output row's n windows (input rows r0, r1 → d0, d1): bx*(x - m) + c0 everywhere,
/// plus a*g at each window's winner. Writes every element of those windows once.
template <class E, class T>
inline void dx_row(const E* r0, const E* r1, E* d0, E* d1, const T* g, const uint8_t* code, int64_t n, T m, T a,
                   T bx, T c0) {
  if constexpr (std::is_same_v<T, float>) {
    auto block = [&]<int L>(int64_t j) {
      dx_block<L>(r0 + 2 * j, r1 + 2 * j, d0 + 2 * j, d1 + 2 * j, g + j, code + j, m, a, bx, c0);
    };
    if (vec::for_blocks(n, block)) return;
  }
  auto at = [&](const E* r, int64_t i) { return bx * (static_cast<T>(r[i]) - m) + c0; };
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t k = code[i];
    const T ag = k == kBatchNormReluMaxPool2dDead ? T(0) : a * g[i];
    d0[2 * i] = static_cast<E>(at(r0, 2 * i) + (k == 0 ? ag : T(0)));
    d0[2 * i + 1] = static_cast<E>(at(r0, 2 * i + 1) + (k == 1 ? ag : T(0)));
    d1[2 * i] = static_cast<E>(at(r1, 2 * i) + (k == 2 ? ag : T(0)));
    d1[2 * i + 1] = static_cast<E>(at(r1, 2 * i + 1) + (k == 3 ? ag : T(0)));
  }
}

/// dx = bx*(x - m) + c0 over [0, n): elements no window covers (an odd last row or column).
template <class E, class T>
inline void dx_plain(const E* x, E* d, int64_t n, int64_t stride, T m, T bx, T c0) {
  for (int64_t i = 0; i < n; ++i) d[i * stride] = static_cast<E>(bx * (static_cast<T>(x[i * stride]) - m) + c0);
}

/// E: x's and dx's element type; grad, statistics, weight, dweight and dbias are compute_t<E>.
template <class E>
void backward_typed(const TensorArg& ga, const TensorArg& ca, const TensorArg& xa, const TensorArg& ma,
                    const TensorArg& ra, const TensorArg* wa, const TensorArg* dxa, const TensorArg* dwa,
                    const TensorArg* dba) {
  using T = compute_t<E>;
  const Geom g(xa);
  const E* x = ptr<const E>(xa);
  const T* grad = ptr<const T>(ga);
  const uint8_t* code = ptr<const uint8_t>(ca);
  const ChannelParam<T> w(wa, T(1));
  const double M = static_cast<double>(g.N * g.plane());
  parallel_for(g.C, g.grain(), [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c) {
      const T m = ptr<const T>(ma)[c * ma.strides[0]];
      const double r = static_cast<double>(ptr<const T>(ra)[c * ra.strides[0]]);
      // Only the winners carry gradient: sum g and sum g*(x - m) over them.
      double sum_g = 0, sum_gd = 0;
      for (int64_t n = 0; n < g.N; ++n) {
        const E* xp = x + (n * g.C + c) * g.plane();
        const int64_t o = (n * g.C + c) * g.out_plane();
        for (int64_t oh = 0; oh < g.OH; ++oh)
          winner_sums(xp + 2 * oh * g.W, xp + (2 * oh + 1) * g.W, grad + o + oh * g.OW, code + o + oh * g.OW, g.OW, m,
                      sum_g, sum_gd);
      }
      const auto [a, bx, c0] = backward_coefficients<T>(c, sum_g, sum_gd, r, w[c], M, dwa, dba);
      if (!dxa) continue;
      for (int64_t n = 0; n < g.N; ++n) {
        const E* xp = x + (n * g.C + c) * g.plane();
        E* d = ptr<E>(*dxa) + (n * g.C + c) * g.plane();
        const int64_t o = (n * g.C + c) * g.out_plane();
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          const E* r0 = xp + 2 * oh * g.W;
          E* d0 = d + 2 * oh * g.W;
          dx_row(r0, r0 + g.W, d0, d0 + g.W, grad + o + oh * g.OW, code + o + oh * g.OW, g.OW, m, a, bx, c0);
          if (g.W % 2) dx_plain(r0 + g.W - 1, d0 + g.W - 1, 2, g.W, m, bx, c0);  // the odd last column
        }
        if (g.H % 2) dx_plain(xp + (g.H - 1) * g.W, d + (g.H - 1) * g.W, g.W, 1, m, bx, c0);  // the odd last row
      }
    }
  });
}

void forward_kernel(const TensorArg& x, const TensorArg* w, const TensorArg* b, double eps, const TensorArg& out,
                    const TensorArg& code, const TensorArg& mean, const TensorArg& var, const TensorArg& rstd) {
  if (!x.contiguous()) return batch_norm_relu_max_pool2d_forward_nhwc(x, w, b, eps, out, code, mean, var, rstd);
  dispatch_dtype(x.dtype, [&]<class E>() { forward_typed<E>(x, w, b, eps, out, code, mean, var, rstd); });
}

void backward_kernel(const TensorArg& grad, const TensorArg& code, const TensorArg& x, const TensorArg& mean,
                     const TensorArg& rstd, const TensorArg* w, const TensorArg* dx, const TensorArg* dw,
                     const TensorArg* db) {
  if (!x.contiguous()) return batch_norm_relu_max_pool2d_backward_nhwc(grad, code, x, mean, rstd, w, dx, dw, db);
  dispatch_dtype(x.dtype, [&]<class E>() { backward_typed<E>(grad, code, x, mean, rstd, w, dx, dw, db); });
}

}  // namespace

void register_fused_kernels(KernelTable& t) {
  t.set(kernels::kBatchNormReluMaxPool2dForward, forward_kernel);
  t.set(kernels::kBatchNormReluMaxPool2dBackward, backward_kernel);
}

}  // namespace ember::cpu
