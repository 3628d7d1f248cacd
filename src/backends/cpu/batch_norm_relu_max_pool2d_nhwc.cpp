// CPU kernels of the fused block max_pool2d(relu(batch_norm(x)), 2) for channels-last x (NHWC in
// memory), the layout bfloat16 convolutions produce here (core/memory_format.h). Same contract
// and results as the NCHW kernels of batch_norm_relu_max_pool2d.cpp, but every loop runs over a pixel's
// contiguous channels, in vector blocks of 8 channels (vec2x2.h's float/bfloat16 loads)
// with the pixels of a row inside each block; pixels are split among threads, and
// the per-channel sums are reduced over a fixed partition of rows, in order, so a result does
// not depend on the thread count.
#include "backends/cpu/batch_norm_relu_max_pool2d_nhwc.h"

#include <cmath>
#include <type_traits>
#include <vector>

#include "backends/cpu/fast_path.h"
#include "backends/cpu/batch_norm_relu_max_pool2d_common.h"
#include "backends/cpu/parallel.h"
#include "backends/cpu/strided.h"
#include "backends/cpu/vec2x2.h"
#include "core/kernels/fused.h"

namespace ember::cpu {
namespace {

using kernels::kBatchNormReluMaxPool2dDead;
using namespace batch_norm_relu_max_pool2d_impl;

/// Geometry of one call: x (N,C,H,W) channels-last, pooled (OH,OW).
struct Geom {
  int64_t N, C, H, W, OH, OW;
  explicit Geom(const TensorArg& x)
      : N(x.sizes[0]), C(x.sizes[1]), H(x.sizes[2]), W(x.sizes[3]), OH(x.sizes[2] / 2), OW(x.sizes[3] / 2) {}
};

/// Per-channel sums over `rows` rows, from a fixed partition into at most 64 chunks: row_fn(r,
/// acc) adds row r's contributions to acc (2*C values, compute type T); chunks run in parallel
/// and are added in order in double. Returns the 2*C totals.
template <class T, class F>
std::vector<double> channel_sums(int64_t rows, int64_t C, int64_t row_cost, F&& row_fn) {
  const int64_t K = std::min<int64_t>(rows, 64), per = (rows + K - 1) / K;
  std::vector<double> part(static_cast<size_t>(K * 2 * C), 0.0);
  parallel_for(K, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, per * row_cost)), [&](int64_t lo, int64_t hi) {
    std::vector<T> acc(static_cast<size_t>(2 * C));
    for (int64_t k = lo; k < hi; ++k) {
      double* out = part.data() + k * 2 * C;
      for (int64_t r = k * per; r < std::min(rows, (k + 1) * per); ++r) {
        std::fill(acc.begin(), acc.end(), T(0));
        row_fn(r, acc.data());
        for (int64_t c = 0; c < 2 * C; ++c) out[c] += static_cast<double>(acc[c]);
      }
    }
  });
  std::vector<double> total(static_cast<size_t>(2 * C), 0.0);
  for (int64_t k = 0; k < K; ++k)
    for (int64_t c = 0; c < 2 * C; ++c) total[c] += part[k * 2 * C + c];
  return total;
}

/// A per-channel parameter (weight or bias) as a vector in T, default when absent.
template <class T>
std::vector<T> param(const TensorArg* a, int64_t C, T dflt) {
  std::vector<T> v(static_cast<size_t>(C), dflt);
  if (a)
    for (int64_t c = 0; c < C; ++c) v[c] = ptr<const T>(*a)[c * a->strides[0]];
  return v;
}

/// Runs fn.template operator()<L>() with vector blocks of L = 8 channels when C is a multiple
/// of 8 and the arithmetic is float32, and returns true; false when the caller must take
/// its plain loops (float64, or C not a multiple of 8). Each row helper below runs its channel
/// blocks outermost and the pixels of the row inside, so per-channel parameters and sums stay
/// in registers; bfloat16 is widened on load and rounded on store (vec2x2.h).
template <class T, class Fn>
inline bool with_lanes(int64_t C, Fn&& fn) {
  if constexpr (std::is_same_v<T, float>) {
    if (C % 8 == 0) return fn.template operator()<8>(), true;
  }
  return false;
}

/// Adds d = x - shift and d*d over the W pixels of one row to acc[0..C) and acc[C..2C).
template <class E, class T>
inline void moments_row(const E* row, int64_t W, int64_t C, const T* sh, T* acc) {
  if (with_lanes<T>(C, [&]<int L>() {
        using F = typename vec::Lanes<L>::F;
        for (int64_t c = 0; c < C; c += L) {
          const F s0 = vec::load<F>(sh + c);
          F s{}, q{};
          for (int64_t w = 0; w < W; ++w) {
            const F d = vec::load_floats<L>(row + w * C + c) - s0;
            s += d, q += d * d;
          }
          vec::store(acc + c, vec::load<F>(acc + c) + s);
          vec::store(acc + C + c, vec::load<F>(acc + C + c) + q);
        }
      }))
    return;
  for (int64_t w = 0; w < W; ++w)
    for (int64_t c = 0; c < C; ++c) {
      const T d = static_cast<T>(row[w * C + c]) - sh[c];
      acc[c] += d, acc[C + c] += d * d;
    }
}

/// One output row of OW pixels over input rows r0, r1: each window's four inputs normalised,
/// the first maximum through the ReLU to o, its winner code to k (kBatchNormReluMaxPool2dDead when <= 0; a
/// NaN stays visible, at position 3, as in the NCHW vector kernels).
template <class E, class T>
inline void pool_row(const E* r0, const E* r1, int64_t OW, int64_t C, const T* sc, const T* bi, T* o, uint8_t* k) {
  if (with_lanes<T>(C, [&]<int L>() {
        using V = vec::Lanes<L>;
        using F = typename V::F;
        using I = typename V::I;
        for (int64_t c = 0; c < C; c += L) {
          const F s = vec::load<F>(sc + c), b = vec::load<F>(bi + c);
          for (int64_t ow = 0; ow < OW; ++ow) {
            const E *p0 = r0 + 2 * ow * C + c, *p2 = r1 + 2 * ow * C + c;
            const F v0 = vec::load_floats<L>(p0) * s + b, v1 = vec::load_floats<L>(p0 + C) * s + b;
            const F v2 = vec::load_floats<L>(p2) * s + b, v3 = vec::load_floats<L>(p2 + C) * s + b;
            const F m01 = v1 > v0 ? v1 : v0, m23 = v3 > v2 ? v3 : v2;
            const F best = m23 > m01 ? m23 : m01;
            const I win = v0 == best ? I{} : v1 == best ? I{} + 1 : v2 == best ? I{} + 2 : I{} + 3;
            const I live = (best > 0) | (best != best);
            vec::store(o + ow * C + c, live ? best : F{});
            vec::store_codes<L>(k + ow * C + c, live ? win : I{} + kBatchNormReluMaxPool2dDead);
          }
        }
      }))
    return;
  for (int64_t ow = 0; ow < OW; ++ow) {
    const E *p0 = r0 + 2 * ow * C, *p1 = p0 + C, *p2 = r1 + 2 * ow * C, *p3 = p2 + C;
    for (int64_t c = 0; c < C; ++c) {
      const T v0 = static_cast<T>(p0[c]) * sc[c] + bi[c], v1 = static_cast<T>(p1[c]) * sc[c] + bi[c];
      const T v2 = static_cast<T>(p2[c]) * sc[c] + bi[c], v3 = static_cast<T>(p3[c]) * sc[c] + bi[c];
      const T m01 = v1 > v0 ? v1 : v0, m23 = v3 > v2 ? v3 : v2;
      const T best = m23 > m01 ? m23 : m01;
      const uint8_t win = v0 == best ? 0 : v1 == best ? 1 : v2 == best ? 2 : 3;
      const bool live = best > 0 || best != best;
      o[ow * C + c] = live ? best : T(0);
      k[ow * C + c] = live ? win : kBatchNormReluMaxPool2dDead;
    }
  }
}

/// Adds, over one output row, the gradient g reaching each window's winner and g*(x - m) to
/// acc[0..C) and acc[C..2C) (a dead window contributes 0).
template <class E, class T>
inline void winner_row(const E* r0, const E* r1, const T* g, const uint8_t* k, int64_t OW, int64_t C, const T* m,
                       T* acc) {
  if (with_lanes<T>(C, [&]<int L>() {
        using V = vec::Lanes<L>;
        using F = typename V::F;
        using I = typename V::I;
        for (int64_t c = 0; c < C; c += L) {
          const F mv = vec::load<F>(m + c);
          F sg{}, sgd{};
          for (int64_t ow = 0; ow < OW; ++ow) {
            const E *p0 = r0 + 2 * ow * C + c, *p2 = r1 + 2 * ow * C + c;
            const I kv = vec::load_codes<L>(k + ow * C + c);
            const F x0 = vec::load_floats<L>(p0), x1 = vec::load_floats<L>(p0 + C);
            const F x2 = vec::load_floats<L>(p2), x3 = vec::load_floats<L>(p2 + C);
            const F xw = kv == 0 ? x0 : kv == 1 ? x1 : kv == 2 ? x2 : x3;
            const F gv = kv == kBatchNormReluMaxPool2dDead ? F{} : vec::load<F>(g + ow * C + c);
            sg += gv, sgd += gv * (xw - mv);
          }
          vec::store(acc + c, vec::load<F>(acc + c) + sg);
          vec::store(acc + C + c, vec::load<F>(acc + C + c) + sgd);
        }
      }))
    return;
  for (int64_t ow = 0; ow < OW; ++ow) {
    const E *p0 = r0 + 2 * ow * C, *p1 = p0 + C, *p2 = r1 + 2 * ow * C, *p3 = p2 + C;
    for (int64_t c = 0; c < C; ++c) {
      const uint8_t kk = k[ow * C + c];
      const T xw = static_cast<T>(kk == 0 ? p0[c] : kk == 1 ? p1[c] : kk == 2 ? p2[c] : p3[c]);
      const T gv = kk == kBatchNormReluMaxPool2dDead ? T(0) : g[ow * C + c];
      acc[c] += gv, acc[C + c] += gv * (xw - m[c]);
    }
  }
}

/// dx = bx*(x - m) + c0 over one row of W pixels that no window covers (an odd last row).
template <class E, class T>
inline void dx_plain_row(const E* xr, E* dr, int64_t W, int64_t C, const T* m, const T* bx, const T* c0) {
  if (with_lanes<T>(C, [&]<int L>() {
        using F = typename vec::Lanes<L>::F;
        for (int64_t c = 0; c < C; c += L) {
          const F mv = vec::load<F>(m + c), bv = vec::load<F>(bx + c), cv = vec::load<F>(c0 + c);
          for (int64_t w = 0; w < W; ++w)
            vec::store_floats<L>(dr + w * C + c, bv * (vec::load_floats<L>(xr + w * C + c) - mv) + cv);
        }
      }))
    return;
  for (int64_t w = 0; w < W; ++w)
    for (int64_t c = 0; c < C; ++c)
      dr[w * C + c] = static_cast<E>(bx[c] * (static_cast<T>(xr[w * C + c]) - m[c]) + c0[c]);
}

/// dx of the two input rows x0, x1 (W pixels each) under one output row of OW windows:
/// bx*(x - m) + c0 everywhere (x - m first: a shift as large as the spread loses nothing),
/// plus a*g at each window's winner (code k). One load of a window's code and gradient serves
/// its four pixels; a last odd column lies in no window. Store: how vector results are written
/// (vec2x2.h's PortableStore, or NativeBf16Store through dx_rows_native).
template <class E, class T, class Store = vec::PortableStore>
inline void dx_rows(const E* x0, const E* x1, E* d0, E* d1, int64_t W, int64_t OW, int64_t C, const T* g,
                    const uint8_t* k, const T* m, const T* a, const T* bx, const T* c0) {
  if (with_lanes<T>(C, [&]<int L>() {
        using V = vec::Lanes<L>;
        using F = typename V::F;
        using I = typename V::I;
        for (int64_t c = 0; c < C; c += L) {
          const F mv = vec::load<F>(m + c), av = vec::load<F>(a + c), bv = vec::load<F>(bx + c), cv = vec::load<F>(c0 + c);
          for (int64_t ow = 0; ow < OW; ++ow) {
            const int64_t o = ow * C + c, i = 2 * ow * C + c;
            const I kv = vec::load_codes<L>(k + o);
            const F ag = av * vec::load<F>(g + o);  // a dead window's code matches no position
            Store::template store<L>(d0 + i, bv * (vec::load_floats<L>(x0 + i) - mv) + cv + (kv == 0 ? ag : F{}));
            Store::template store<L>(d0 + i + C, bv * (vec::load_floats<L>(x0 + i + C) - mv) + cv + (kv == 1 ? ag : F{}));
            Store::template store<L>(d1 + i, bv * (vec::load_floats<L>(x1 + i) - mv) + cv + (kv == 2 ? ag : F{}));
            Store::template store<L>(d1 + i + C, bv * (vec::load_floats<L>(x1 + i + C) - mv) + cv + (kv == 3 ? ag : F{}));
          }
          for (int64_t w = 2 * OW; w < W; ++w) {
            Store::template store<L>(d0 + w * C + c, bv * (vec::load_floats<L>(x0 + w * C + c) - mv) + cv);
            Store::template store<L>(d1 + w * C + c, bv * (vec::load_floats<L>(x1 + w * C + c) - mv) + cv);
          }
        }
      }))
    return;
  for (int64_t w = 0; w < W; ++w)
    for (int64_t c = 0; c < C; ++c) {
      const int64_t o = (w / 2) * C + c;
      const bool covered = w < 2 * OW;
      const T win0 = covered && k[o] == (w & 1) ? a[c] * g[o] : T(0);
      const T win1 = covered && k[o] == 2 + (w & 1) ? a[c] * g[o] : T(0);
      d0[w * C + c] = static_cast<E>(bx[c] * (static_cast<T>(x0[w * C + c]) - m[c]) + c0[c] + win0);
      d1[w * C + c] = static_cast<E>(bx[c] * (static_cast<T>(x1[w * C + c]) - m[c]) + c0[c] + win1);
    }
}

#if EMBER_BF16_NATIVE
/// dx_rows for bfloat16 x rounding in hardware; call only when vec::bf16_native_rounding().
EMBER_BF16_NATIVE_TARGET __attribute__((flatten)) void dx_rows_native(const BFloat16* x0, const BFloat16* x1, BFloat16* d0,
                                                                       BFloat16* d1, int64_t W, int64_t OW, int64_t C,
                                                                       const float* g, const uint8_t* k, const float* m,
                                                                       const float* a, const float* bx, const float* c0) {
  dx_rows<BFloat16, float, vec::NativeBf16Store>(x0, x1, d0, d1, W, OW, C, g, k, m, a, bx, c0);
}
#endif

template <class E>
void forward_typed(const TensorArg& xa, const TensorArg* wa, const TensorArg* ba, double eps, const TensorArg& oa,
                   const TensorArg& ca, const TensorArg& ma, const TensorArg& va, const TensorArg& ra) {
  using T = compute_t<E>;
  const Geom g(xa);
  const int64_t C = g.C, WC = g.W * C;
  const E* x = ptr<const E>(xa);
  // Moments: deviations from a shift (channel means of the first pixel row, which keeps the
  // sums well conditioned) summed per row in T, totals in double.
  std::vector<T> shift(static_cast<size_t>(C), T(0));
  for (int64_t w = 0; w < g.W; ++w)
    for (int64_t c = 0; c < C; ++c) shift[c] += static_cast<T>(x[w * C + c]);
  for (auto& s : shift) s /= static_cast<T>(g.W);
  const T* sh = shift.data();
  auto sums = channel_sums<T>(g.N * g.H, C, WC, [&](int64_t r, T* acc) {
    moments_row(x + r * WC, g.W, C, sh, acc);
  });
  const double M = static_cast<double>(g.N * g.H * g.W);
  const std::vector<T> wt = param<T>(wa, C, T(1)), bs = param<T>(ba, C, T(0));
  std::vector<T> scale(static_cast<size_t>(C)), bias(static_cast<size_t>(C));
  for (int64_t c = 0; c < C; ++c) {
    const double md = sums[c] / M, var = std::max(0.0, sums[C + c] / M - md * md);
    const T m = static_cast<T>(static_cast<double>(sh[c]) + md);
    const T r = store_moments(ma, va, ra, c, m, var, eps);
    scale[c] = r * wt[c];
    bias[c] = bs[c] - m * scale[c];
  }
  // Pooling: each output pixel's four inputs, all channels at once; the first maximum wins and
  // a NaN stays visible (as the NCHW vector kernels: it takes position 3).
  const T *sc = scale.data(), *bi = bias.data();
  T* out = ptr<T>(oa);
  uint8_t* code = ptr<uint8_t>(ca);
  parallel_for(g.N * g.OH, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, 4 * g.OW * C)),
               [&](int64_t lo, int64_t hi) {
                 for (int64_t t = lo; t < hi; ++t) {
                   const int64_t n = t / g.OH, oh = t % g.OH;
                   const E* r0 = x + (n * g.H + 2 * oh) * WC;
                   const E* r1 = r0 + WC;
                   pool_row(r0, r1, g.OW, C, sc, bi, out + t * g.OW * C, code + t * g.OW * C);
                 }
               });
}

template <class E>
void backward_typed(const TensorArg& ga, const TensorArg& ca, const TensorArg& xa, const TensorArg& ma,
                    const TensorArg& ra, const TensorArg* wa, const TensorArg* dxa, const TensorArg* dwa,
                    const TensorArg* dba) {
  using T = compute_t<E>;
  const Geom g(xa);
  const int64_t C = g.C, WC = g.W * C, OWC = g.OW * C;
  const E* x = ptr<const E>(xa);
  const T* grad = ptr<const T>(ga);
  const uint8_t* code = ptr<const uint8_t>(ca);
  std::vector<T> mean(static_cast<size_t>(C));
  for (int64_t c = 0; c < C; ++c) mean[c] = ptr<const T>(ma)[c * ma.strides[0]];
  const T* m = mean.data();
  // Only the winners carry gradient: sum g and g*(x - m) over them, per channel.
  auto sums = channel_sums<T>(g.N * g.OH, C, 4 * OWC, [&](int64_t t, T* acc) {
    const int64_t n = t / g.OH, oh = t % g.OH;
    const E* r0 = x + (n * g.H + 2 * oh) * WC;
    const E* r1 = r0 + WC;
    winner_row(r0, r1, grad + t * OWC, code + t * OWC, g.OW, C, m, acc);
  });
  const std::vector<T> wt = param<T>(wa, C, T(1));
  const double M = static_cast<double>(g.N * g.H * g.W);
  std::vector<T> a(static_cast<size_t>(C)), bx(static_cast<size_t>(C)), c0(static_cast<size_t>(C));
  for (int64_t c = 0; c < C; ++c) {
    const double r = static_cast<double>(ptr<const T>(ra)[c * ra.strides[0]]);
    const auto k = backward_coefficients<T>(c, sums[c], sums[C + c], r, wt[c], M, dwa, dba);
    a[c] = k.a, bx[c] = k.bx, c0[c] = k.c0;
  }
  if (!dxa) return;
  E* dx = ptr<E>(*dxa);
  const T *av = a.data(), *bv = bx.data(), *cv = c0.data();
  // Output row t = (n, oh) covers input rows 2oh and 2oh+1; an odd last row lies in no window.
  // bfloat16 dx rounds in hardware where the CPU can (a quarter of this pass was the rounding).
  auto* rows_fn = &dx_rows<E, T>;
#if EMBER_BF16_NATIVE
  if constexpr (std::is_same_v<E, BFloat16>)
    if (fast_paths_enabled() && vec::bf16_native_rounding()) rows_fn = &dx_rows_native;
#endif
  parallel_for(g.N * g.OH, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, 2 * WC)), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t n = t / g.OH, oh = t % g.OH, r = n * g.H + 2 * oh;
      rows_fn(x + r * WC, x + (r + 1) * WC, dx + r * WC, dx + (r + 1) * WC, g.W, g.OW, C, grad + t * OWC,
              code + t * OWC, m, av, bv, cv);
      if (g.H % 2 && oh == g.OH - 1) {
        const int64_t last = (n + 1) * g.H - 1;
        dx_plain_row(x + last * WC, dx + last * WC, g.W, C, m, bv, cv);
      }
    }
  });
}

}  // namespace

void batch_norm_relu_max_pool2d_forward_nhwc(const TensorArg& x, const TensorArg* w, const TensorArg* b, double eps,
                                       const TensorArg& out, const TensorArg& code, const TensorArg& mean,
                                       const TensorArg& var, const TensorArg& rstd) {
  dispatch_dtype(x.dtype, [&]<class E>() { forward_typed<E>(x, w, b, eps, out, code, mean, var, rstd); });
}

void batch_norm_relu_max_pool2d_backward_nhwc(const TensorArg& grad, const TensorArg& code, const TensorArg& x,
                                        const TensorArg& mean, const TensorArg& rstd, const TensorArg* w,
                                        const TensorArg* dx, const TensorArg* dw, const TensorArg* db) {
  dispatch_dtype(x.dtype, [&]<class E>() { backward_typed<E>(grad, code, x, mean, rstd, w, dx, dw, db); });
}

}  // namespace ember::cpu
