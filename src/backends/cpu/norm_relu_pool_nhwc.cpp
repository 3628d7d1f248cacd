// CPU kernels of the fused block max_pool2d(relu(batch_norm(x)), 2) for channels-last x (NHWC in
// memory), the layout bfloat16 convolutions produce here (core/memory_format.h). Same contract
// and results as the NCHW kernels of norm_relu_pool.cpp, but every loop runs over a pixel's
// contiguous channels, in vector blocks of 8 channels (vec2x2.h's float/bfloat16 loads); pixels are split among threads, and
// the per-channel sums are reduced over a fixed partition of rows, in order, so a result does
// not depend on the thread count.
#include "backends/cpu/norm_relu_pool_nhwc.h"

#include <cmath>
#include <type_traits>
#include <vector>

#include "backends/cpu/parallel.h"
#include "backends/cpu/strided.h"
#include "backends/cpu/vec2x2.h"
#include "core/kernels/fused.h"

namespace ember::cpu {
namespace {

using kernels::kReluPoolDead;

template <class E>
using compute_t = std::conditional_t<std::is_same_v<E, double>, double, float>;

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

/// Vector blocks of 8 channels when the arithmetic is float32 and C is a multiple of 8
/// (bfloat16 widened on load, rounded on store by vec2x2.h's helpers); else plain loops.
template <class T>
inline bool vectorised(int64_t C) {
  return std::is_same_v<T, float> && C % 8 == 0;
}
using V = vec::Lanes<8>;
using F = V::F;
using I = V::I;

/// Adds d = x - shift and d*d of one pixel's C channels to acc[0..C) and acc[C..2C).
template <class E, class T>
inline void moments_pixel(const E* p, const T* sh, T* acc, int64_t C) {
  if constexpr (std::is_same_v<T, float>) {
    if (vectorised<T>(C)) {
      for (int64_t c = 0; c < C; c += 8) {
        const F d = vec::load_floats<8>(p + c) - vec::load<F>(sh + c);
        vec::store(acc + c, vec::load<F>(acc + c) + d);
        vec::store(acc + C + c, vec::load<F>(acc + C + c) + d * d);
      }
      return;
    }
  }
  for (int64_t c = 0; c < C; ++c) {
    const T d = static_cast<T>(p[c]) - sh[c];
    acc[c] += d;
    acc[C + c] += d * d;
  }
}

/// One output pixel: the four inputs p0..p3 (window order) normalised, the first maximum through
/// the ReLU to o, and its winner code (kReluPoolDead when <= 0; a NaN stays visible, at 3).
template <class E, class T>
inline void pool_pixel(const E* p0, const E* p1, const E* p2, const E* p3, const T* sc, const T* bi, T* o,
                       uint8_t* k, int64_t C) {
  if constexpr (std::is_same_v<T, float>) {
    if (vectorised<T>(C)) {
      for (int64_t c = 0; c < C; c += 8) {
        const F s = vec::load<F>(sc + c), b = vec::load<F>(bi + c);
        const F v0 = vec::load_floats<8>(p0 + c) * s + b, v1 = vec::load_floats<8>(p1 + c) * s + b;
        const F v2 = vec::load_floats<8>(p2 + c) * s + b, v3 = vec::load_floats<8>(p3 + c) * s + b;
        const F m01 = v1 > v0 ? v1 : v0, m23 = v3 > v2 ? v3 : v2;
        const F best = m23 > m01 ? m23 : m01;
        const I win = v0 == best ? I{} : v1 == best ? I{} + 1 : v2 == best ? I{} + 2 : I{} + 3;
        const I live = (best > 0) | (best != best);
        vec::store(o + c, live ? best : F{});
        vec::store(k + c, __builtin_convertvector(live ? win : I{} + kReluPoolDead, V::B));
      }
      return;
    }
  }
  for (int64_t c = 0; c < C; ++c) {
    const T v0 = static_cast<T>(p0[c]) * sc[c] + bi[c], v1 = static_cast<T>(p1[c]) * sc[c] + bi[c];
    const T v2 = static_cast<T>(p2[c]) * sc[c] + bi[c], v3 = static_cast<T>(p3[c]) * sc[c] + bi[c];
    const T m01 = v1 > v0 ? v1 : v0, m23 = v3 > v2 ? v3 : v2;
    const T best = m23 > m01 ? m23 : m01;
    const uint8_t win = v0 == best ? 0 : v1 == best ? 1 : v2 == best ? 2 : 3;
    const bool live = best > 0 || best != best;
    o[c] = live ? best : T(0);
    k[c] = live ? win : kReluPoolDead;
  }
}

/// Adds the gradient g of one output pixel's winners and g*(x - m) to acc[0..C) and acc[C..2C).
template <class E, class T>
inline void winner_pixel(const E* p0, const E* p1, const E* p2, const E* p3, const T* g, const uint8_t* k,
                         const T* m, T* acc, int64_t C) {
  if constexpr (std::is_same_v<T, float>) {
    if (vectorised<T>(C)) {
      for (int64_t c = 0; c < C; c += 8) {
        const I kv = __builtin_convertvector(vec::load<V::B>(k + c), I);
        const F x0 = vec::load_floats<8>(p0 + c), x1 = vec::load_floats<8>(p1 + c);
        const F x2 = vec::load_floats<8>(p2 + c), x3 = vec::load_floats<8>(p3 + c);
        const F xw = kv == 0 ? x0 : kv == 1 ? x1 : kv == 2 ? x2 : x3;
        const F gv = kv == kReluPoolDead ? F{} : vec::load<F>(g + c);
        vec::store(acc + c, vec::load<F>(acc + c) + gv);
        vec::store(acc + C + c, vec::load<F>(acc + C + c) + gv * (xw - vec::load<F>(m + c)));
      }
      return;
    }
  }
  for (int64_t c = 0; c < C; ++c) {
    const uint8_t kk = k[c];
    const T xw = static_cast<T>(kk == 0 ? p0[c] : kk == 1 ? p1[c] : kk == 2 ? p2[c] : p3[c]);
    const T gv = kk == kReluPoolDead ? T(0) : g[c];
    acc[c] += gv;
    acc[C + c] += gv * (xw - m[c]);
  }
}

/// dx of one input pixel: bx*(x - m) + c0, plus a*g where this pixel (window position pos) won;
/// g and k null for a pixel no window covers.
template <class E, class T>
inline void dx_pixel(const E* p, E* d, const T* g, const uint8_t* k, uint8_t pos, const T* m, const T* a,
                     const T* bx, const T* c0, int64_t C) {
  if constexpr (std::is_same_v<T, float>) {
    if (vectorised<T>(C)) {
      for (int64_t c = 0; c < C; c += 8) {
        F y = vec::load<F>(bx + c) * (vec::load_floats<8>(p + c) - vec::load<F>(m + c)) + vec::load<F>(c0 + c);
        if (g) {
          const I kv = __builtin_convertvector(vec::load<V::B>(k + c), I);
          y += kv == static_cast<int32_t>(pos) ? vec::load<F>(a + c) * vec::load<F>(g + c) : F{};
        }
        vec::store_floats<8>(d + c, y);
      }
      return;
    }
  }
  for (int64_t c = 0; c < C; ++c) {
    const T win = g && k[c] == pos ? a[c] * g[c] : T(0);
    d[c] = static_cast<E>(bx[c] * (static_cast<T>(p[c]) - m[c]) + c0[c] + win);
  }
}

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
    const E* row = x + r * WC;
    for (int64_t w = 0; w < g.W; ++w) moments_pixel(row + w * C, sh, acc, C);
  });
  const double M = static_cast<double>(g.N * g.H * g.W);
  const std::vector<T> wt = param<T>(wa, C, T(1)), bs = param<T>(ba, C, T(0));
  std::vector<T> scale(static_cast<size_t>(C)), bias(static_cast<size_t>(C));
  for (int64_t c = 0; c < C; ++c) {
    const double md = sums[c] / M, var = std::max(0.0, sums[C + c] / M - md * md);
    const T m = static_cast<T>(static_cast<double>(sh[c]) + md);
    const T r = static_cast<T>(1.0 / std::sqrt(var + eps));
    ptr<T>(ma)[c * ma.strides[0]] = m;
    ptr<T>(va)[c * va.strides[0]] = static_cast<T>(var);
    ptr<T>(ra)[c * ra.strides[0]] = r;
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
                   T* o = out + t * g.OW * C;
                   uint8_t* k = code + t * g.OW * C;
                   for (int64_t ow = 0; ow < g.OW; ++ow) {
                     const E *p0 = r0 + 2 * ow * C, *p2 = r1 + 2 * ow * C;
                     pool_pixel(p0, p0 + C, p2, p2 + C, sc, bi, o + ow * C, k + ow * C, C);
                   }
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
    for (int64_t ow = 0; ow < g.OW; ++ow) {
      const E *p0 = r0 + 2 * ow * C, *p2 = r1 + 2 * ow * C;
      winner_pixel(p0, p0 + C, p2, p2 + C, grad + t * OWC + ow * C, code + t * OWC + ow * C, m, acc, C);
    }
  });
  const std::vector<T> wt = param<T>(wa, C, T(1));
  const double M = static_cast<double>(g.N * g.H * g.W);
  std::vector<T> a(static_cast<size_t>(C)), bx(static_cast<size_t>(C)), c0(static_cast<size_t>(C));
  for (int64_t c = 0; c < C; ++c) {
    const double r = static_cast<double>(ptr<const T>(ra)[c * ra.strides[0]]);
    const double sum_g = sums[c], sum_gxhat = sums[C + c] * r;
    if (dwa) ptr<T>(*dwa)[c * dwa->strides[0]] = static_cast<T>(sum_gxhat);
    if (dba) ptr<T>(*dba)[c * dba->strides[0]] = static_cast<T>(sum_g);
    // dx = k*g - k/M*sum_g - k*r/M*sum_gxhat*(x - m), g nonzero only at the winners.
    const double kk = static_cast<double>(wt[c]) * r;
    a[c] = static_cast<T>(kk), bx[c] = static_cast<T>(-kk * r * sum_gxhat / M), c0[c] = static_cast<T>(-kk * sum_g / M);
  }
  if (!dxa) return;
  E* dx = ptr<E>(*dxa);
  const T *av = a.data(), *bv = bx.data(), *cv = c0.data();
  parallel_for(g.N * g.H, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, WC)), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const int64_t n = r / g.H, h = r % g.H;
      const bool pooled_row = h < 2 * g.OH;
      const E* xr = x + r * WC;
      E* dr = dx + r * WC;
      const int64_t orow = (n * g.OH + h / 2) * OWC;
      for (int64_t w = 0; w < g.W; ++w) {
        const bool covered = pooled_row && w < 2 * g.OW;  // else an odd last row or column
        const uint8_t pos = static_cast<uint8_t>((h & 1) * 2 + (w & 1));
        const int64_t o = orow + (w / 2) * C;
        dx_pixel(xr + w * C, dr + w * C, covered ? grad + o : nullptr, covered ? code + o : nullptr, pos, m, av, bv,
                 cv, C);
      }
    }
  });
}

[[noreturn]] void unsupported(DType t) {
  EMBER_FAIL("batch_norm_relu_max_pool2d: unsupported input dtype ", dtype_name(t), " (float32, float64, bfloat16)");
}

}  // namespace

void batch_norm_relu_pool_forward_nhwc(const TensorArg& x, const TensorArg* w, const TensorArg* b, double eps,
                                       const TensorArg& out, const TensorArg& code, const TensorArg& mean,
                                       const TensorArg& var, const TensorArg& rstd) {
  switch (x.dtype) {
    case DType::Float32: return forward_typed<float>(x, w, b, eps, out, code, mean, var, rstd);
    case DType::Float64: return forward_typed<double>(x, w, b, eps, out, code, mean, var, rstd);
    case DType::BFloat16: return forward_typed<BFloat16>(x, w, b, eps, out, code, mean, var, rstd);
    default: unsupported(x.dtype);
  }
}

void batch_norm_relu_pool_backward_nhwc(const TensorArg& grad, const TensorArg& code, const TensorArg& x,
                                        const TensorArg& mean, const TensorArg& rstd, const TensorArg* w,
                                        const TensorArg* dx, const TensorArg* dw, const TensorArg* db) {
  switch (x.dtype) {
    case DType::Float32: return backward_typed<float>(grad, code, x, mean, rstd, w, dx, dw, db);
    case DType::Float64: return backward_typed<double>(grad, code, x, mean, rstd, w, dx, dw, db);
    case DType::BFloat16: return backward_typed<BFloat16>(grad, code, x, mean, rstd, w, dx, dw, db);
    default: unsupported(x.dtype);
  }
}

}  // namespace ember::cpu
