// The per-element maths of ember's kernels as typed inline functions, compiled both for the
// host by any C++ compiler (the CPU reference kernels call them) and for the device by nvcc
// (__host__ __device__: the CUDA kernels call them), so both backends run the same arithmetic;
// tests/core/kernel_math_test.cpp checks it against the CPU ops on every run, GPU or not.
// The formulas OpenCL shares too live in core/kernel_formulas.h (C++/OpenCL C common subset)
// and are wrapped here with their C++ types. Each function states the CPU kernel whose order
// and precision of operations it fixes.
#pragma once
#include <math.h>
#include <stdint.h>

#include <type_traits>

#include "core/kernel_formulas.h"

#if defined(__CUDACC__)
#define EMBER_HD __host__ __device__
// Before a host/device template that calls a callable given by the caller (a device lambda
// in a kernel, a host lambda in a test): check the call per instantiation, not up front.
#define EMBER_HD_CALLBACK _Pragma("nv_exec_check_disable")
#else
#define EMBER_HD
#define EMBER_HD_CALLBACK
#endif

namespace ember::math {

// ---- libm by overload: the C functions exist on the host (glibc) and on the device ----------
// ember_exp and ember_erf are the names core/kernel_formulas.h calls (OpenCL has them as macros
// over its overloaded builtins).
EMBER_HD inline float ember_exp(float x) { return expf(x); }
EMBER_HD inline double ember_exp(double x) { return exp(x); }
EMBER_HD inline float ember_erf(float x) { return erff(x); }
EMBER_HD inline double ember_erf(double x) { return erf(x); }
EMBER_HD inline float m_log(float x) { return logf(x); }
EMBER_HD inline double m_log(double x) { return log(x); }
EMBER_HD inline float m_sqrt(float x) { return sqrtf(x); }
EMBER_HD inline double m_sqrt(double x) { return sqrt(x); }
EMBER_HD inline float m_tanh(float x) { return tanhf(x); }
EMBER_HD inline double m_tanh(double x) { return tanh(x); }
EMBER_HD inline float m_pow(float x, float y) { return powf(x, y); }
EMBER_HD inline double m_pow(double x, double y) { return pow(x, y); }
template <class A>
EMBER_HD inline bool m_isnan(A x) { return x != x; }
template <class A>
EMBER_HD inline A m_neg_inf() { return -static_cast<A>(INFINITY); }

// ---- activations (src/backends/cpu/elementwise.cpp) --------------------------------------

/// max(v, 0), any arithmetic A.
template <class A>
EMBER_HD inline A relu(A v) {
  return EMBER_RELU(A, v);
}
/// Exact GELU x * Phi(x); computed in double for float and double.
template <class A>
EMBER_HD inline A gelu(A v) {
  const double x = v;
  return static_cast<A>(EMBER_GELU(double, x));
}
/// grad * GELU'(x) = grad * (Phi(x) + x * phi(x)), in double.
template <class A>
EMBER_HD inline A gelu_backward(A g, A x) {
  const double gd = g, xd = x;
  return static_cast<A>(EMBER_GELU_BACKWARD(double, gd, xd));
}
/// 1 / (1 + exp(-v)) in A (float or double).
template <class A>
EMBER_HD inline A sigmoid(A v) {
  return EMBER_SIGMOID(A, v);
}
/// PyTorch's leaky_relu in A (float or double): v > 0 ? v : v * slope (slope rounded to A).
template <class A>
EMBER_HD inline A leaky_relu(A v, double slope) {
  return EMBER_LEAKY_RELU(A, v, slope);
}
/// Clamp to [lo, hi] (NaN bound = unbounded), compared in double; a floating NaN input stays NaN.
template <class A>
EMBER_HD inline A clamp(A v, double lo, double hi, bool floating) {
  if (floating && m_isnan(static_cast<double>(v))) return v;
  return EMBER_CLAMP(A, double, v, lo, hi, !m_isnan(lo), !m_isnan(hi));
}
/// maximum/minimum of the binary kernel: NaN if either operand is NaN.
template <class A>
EMBER_HD inline A maximum(A x, A y) {
  if constexpr (std::is_floating_point_v<A>)
    if (m_isnan(x) || m_isnan(y)) return static_cast<A>(NAN);
  return x > y ? x : y;
}
template <class A>
EMBER_HD inline A minimum(A x, A y) {
  if constexpr (std::is_floating_point_v<A>)
    if (m_isnan(x) || m_isnan(y)) return static_cast<A>(NAN);
  return x < y ? x : y;
}

// ---- dropout (src/backends/cpu/attention.cpp; the CPU dropout kernel draws the same) --------

/// Dropout's mask value of element i, 0 or keep: kept when its 32-bit uniform (the low half of
/// splitmix64 value i/2 of the stream seeded with seed for even i, the high half for odd i; see
/// kernels::dropout_uniform) is >= threshold.
template <class A>
EMBER_HD inline A dropout_mask(uint64_t seed, uint64_t i, uint64_t threshold, A keep) {
  const uint64_t r = EMBER_SPLITMIX64(uint64_t, seed, i / 2);
  const uint64_t u = i % 2 ? r >> 32 : r & 0xffffffffu;
  return u >= threshold ? keep : A(0);
}

// ---- log-sum-exp, one element or one partial result at a time ----------------------------

/// Running (max, sum of exp(x - max)) of a row (softmax, log_softmax, cross-entropy).
template <class A>
struct Lse {
  A m = m_neg_inf<A>();
  A s = A(0);
};
/// Adds one element. NaN elements make the sum NaN (as the CPU's second pass does); -inf adds 0.
template <class A>
EMBER_HD inline void lse_push(Lse<A>& r, A x) {
  if (x > r.m) {
    r.s = r.s * ember_exp(r.m - x) + A(1);
    r.m = x;
  } else if (r.m != m_neg_inf<A>() || m_isnan(x)) {
    r.s += ember_exp(x - r.m);
  }
}
/// Merges two partial results (the order of merging changes the result only by rounding).
template <class A>
EMBER_HD inline Lse<A> lse_merge(Lse<A> a, Lse<A> b) {
  if (a.m == m_neg_inf<A>()) return Lse<A>{b.m, a.s + b.s};
  if (b.m == m_neg_inf<A>()) return Lse<A>{a.m, a.s + b.s};
  Lse<A> r;
  r.m = a.m > b.m ? a.m : b.m;
  r.s = a.s * ember_exp(a.m - r.m) + b.s * ember_exp(b.m - r.m);
  return r;
}
/// The max to subtract: 0 for an all -inf row (exp(-inf - 0) = 0 rather than NaN), as the CPU.
template <class A>
EMBER_HD inline A lse_shift(const Lse<A>& r) {
  return r.m == m_neg_inf<A>() ? A(0) : r.m;
}
/// log(sum(exp(x))) of the row.
template <class A>
EMBER_HD inline A lse_value(const Lse<A>& r) {
  return lse_shift(r) + m_log(r.s);
}

/// One element of the cross-entropy gradient (src/backends/cpu/softmax.cpp):
/// scale*grad_i * (exp(x - lse) - ls/C - (1-ls)*[j == target]).
template <class A>
EMBER_HD inline A cross_entropy_grad(A x, A lse, A uniform, A keep, bool is_target, A gi) {
  A p = ember_exp(x - lse) - uniform - (is_target ? keep : A(0));
  return p * gi;
}

// ---- arg-max / arg-min with the reduce kernel's rules ------------------------------------

/// Whether candidate (v, i) replaces the current best (b, bi) of a max (or min) reduction:
/// the first NaN wins, otherwise the strictly better value, ties going to the lower index.
/// bi < 0 means "no best yet". Works for any visiting order, so partial results can merge.
template <class A>
EMBER_HD inline bool extremum_better(A v, int64_t i, A b, int64_t bi, bool is_max) {
  if (bi < 0) return true;
  const bool vn = m_isnan(v), bn = m_isnan(b);
  if (vn || bn) return vn && (!bn || i < bi);
  if (v == b) return i < bi;
  return is_max ? v > b : v < b;
}

// ---- pooling (src/backends/cpu/pool.cpp) ------------------------------------------------
// One (H,W) plane; at(k) / grad(k) / index(k) read element k of the input / output plane as
// the accumulation type A (k = h*W + w, or oh*OW + ow). The kernels call these per element.

/// Input rows [lo, hi) of window o along one dim, clipped to [0, n).
EMBER_HD inline void pool_window(int64_t o, int64_t k, int64_t s, int64_t p, int64_t n, int64_t& lo, int64_t& hi) {
  lo = o * s - p;
  hi = lo + k < n ? lo + k : n;
  lo = lo > 0 ? lo : 0;
}
/// Output positions [lo, hi) whose window (kernel k, stride s, padding p) covers input i,
/// clipped to [0, n_out): the gather form of the pooling backwards.
EMBER_HD inline void pool_covering(int64_t i, int64_t k, int64_t s, int64_t p, int64_t n_out, int64_t& lo, int64_t& hi) {
  // o*s - p <= i < o*s - p + k  <=>  (i + p - k) / s < o <= (i + p) / s
  const int64_t a = i + p - k + 1;  // o*s >= a
  lo = a <= 0 ? 0 : (a + s - 1) / s;
  hi = (i + p) / s + 1;
  if (hi > n_out) hi = n_out;
  if (hi < lo) hi = lo;
}
/// PyTorch's adaptive bin [floor(i*n/out), ceil((i+1)*n/out)).
EMBER_HD inline void adaptive_bin(int64_t i, int64_t n, int64_t out, int64_t& lo, int64_t& hi) {
  lo = EMBER_ADAPTIVE_BIN_LO(i, n, out);
  hi = EMBER_ADAPTIVE_BIN_HI(i, n, out);
}
/// Adaptive bins [lo, hi) that contain input i (bins may overlap), clipped to [0, out).
EMBER_HD inline void adaptive_covering(int64_t i, int64_t n, int64_t out, int64_t& lo, int64_t& hi) {
  lo = (i * out) / n;  // this bin starts at or before i and ends after it; earlier ones may reach it
  while (lo > 0) {
    int64_t b0, b1;
    adaptive_bin(lo - 1, n, out, b0, b1);
    if (b1 <= i) break;
    --lo;
  }
  hi = lo;
  while (hi < out) {
    int64_t b0, b1;
    adaptive_bin(hi, n, out, b0, b1);
    if (b0 > i) break;
    ++hi;
  }
}

/// Geometry of one pooling plane: input (H,W), output (OH,OW), window, stride, padding.
struct PoolGeom {
  int64_t H, W, OH, OW, kh, kw, sh, sw, ph, pw;
};

/// Max pooling at output (oh, ow): the window's first maximum (the first NaN wins) and its
/// index h*W + w, as max_forward_ref. Padding never wins.
EMBER_HD_CALLBACK
template <class A, class At>
EMBER_HD inline void max_pool_at(const PoolGeom& d, int64_t oh, int64_t ow, At at, A& best, int64_t& best_i) {
  int64_t h0, h1, w0, w1;
  pool_window(oh, d.kh, d.sh, d.ph, d.H, h0, h1);
  pool_window(ow, d.kw, d.sw, d.pw, d.W, w0, w1);
  best = at(h0 * d.W + w0);
  best_i = h0 * d.W + w0;
  for (int64_t h = h0; h < h1 && !m_isnan(best); ++h)
    for (int64_t w = w0; w < w1; ++w) {
      const A v = at(h * d.W + w);
      if (v > best || m_isnan(v)) {
        best = v;
        best_i = h * d.W + w;
        if (m_isnan(v)) break;
      }
    }
}
/// Average pooling at (oh, ow): window sum / (kh*kw) (padded zeros count).
EMBER_HD_CALLBACK
template <class A, class At>
EMBER_HD inline A avg_pool_at(const PoolGeom& d, int64_t oh, int64_t ow, At at) {
  int64_t h0, h1, w0, w1;
  pool_window(oh, d.kh, d.sh, d.ph, d.H, h0, h1);
  pool_window(ow, d.kw, d.sw, d.pw, d.W, w0, w1);
  A s = 0;
  for (int64_t h = h0; h < h1; ++h)
    for (int64_t w = w0; w < w1; ++w) s += at(h * d.W + w);
  return s * (A(1) / static_cast<A>(d.kh * d.kw));
}
/// The gradient reaching input (h, w) of max pooling: grad(o) summed over the windows o that
/// cover it and whose arg-max index(o) is h*W + w, in output order (the CPU's scatter order).
EMBER_HD_CALLBACK
template <class A, class G, class I>
EMBER_HD inline A max_pool_grad_at(const PoolGeom& d, int64_t h, int64_t w, G grad, I index) {
  int64_t oh0, oh1, ow0, ow1;
  pool_covering(h, d.kh, d.sh, d.ph, d.OH, oh0, oh1);
  pool_covering(w, d.kw, d.sw, d.pw, d.OW, ow0, ow1);
  A acc = A(0);
  for (int64_t oh = oh0; oh < oh1; ++oh)
    for (int64_t ow = ow0; ow < ow1; ++ow)
      if (index(oh * d.OW + ow) == h * d.W + w) acc += grad(oh * d.OW + ow);
  return acc;
}
/// The gradient reaching input (h, w) of average pooling, in output order.
EMBER_HD_CALLBACK
template <class A, class G>
EMBER_HD inline A avg_pool_grad_at(const PoolGeom& d, int64_t h, int64_t w, G grad) {
  const A inv = A(1) / static_cast<A>(d.kh * d.kw);
  int64_t oh0, oh1, ow0, ow1;
  pool_covering(h, d.kh, d.sh, d.ph, d.OH, oh0, oh1);
  pool_covering(w, d.kw, d.sw, d.pw, d.OW, ow0, ow1);
  A acc = A(0);
  for (int64_t oh = oh0; oh < oh1; ++oh)
    for (int64_t ow = ow0; ow < ow1; ++ow) acc += grad(oh * d.OW + ow) * inv;
  return acc;
}
/// Adaptive average pooling at (oh, ow).
EMBER_HD_CALLBACK
template <class A, class At>
EMBER_HD inline A adaptive_avg_at(const PoolGeom& d, int64_t oh, int64_t ow, At at) {
  int64_t h0, h1, w0, w1;
  adaptive_bin(oh, d.H, d.OH, h0, h1);
  adaptive_bin(ow, d.W, d.OW, w0, w1);
  A s = 0;
  for (int64_t h = h0; h < h1; ++h)
    for (int64_t w = w0; w < w1; ++w) s += at(h * d.W + w);
  return s / static_cast<A>((h1 - h0) * (w1 - w0));
}
/// The gradient reaching input (h, w) of adaptive average pooling, in output order.
EMBER_HD_CALLBACK
template <class A, class G>
EMBER_HD inline A adaptive_avg_grad_at(const PoolGeom& d, int64_t h, int64_t w, G grad) {
  int64_t oh0, oh1, ow0, ow1;
  adaptive_covering(h, d.H, d.OH, oh0, oh1);
  adaptive_covering(w, d.W, d.OW, ow0, ow1);
  A acc = A(0);
  for (int64_t oh = oh0; oh < oh1; ++oh) {
    int64_t h0, h1;
    adaptive_bin(oh, d.H, d.OH, h0, h1);
    for (int64_t ow = ow0; ow < ow1; ++ow) {
      int64_t w0, w1;
      adaptive_bin(ow, d.W, d.OW, w0, w1);
      acc += grad(oh * d.OW + ow) / static_cast<A>((h1 - h0) * (w1 - w0));
    }
  }
  return acc;
}

// ---- normalisation (src/backends/cpu/norm.cpp), in double --------------------------------

/// Layer-norm dx of one element: r/n * (n*gw - sum_gw - xhat*sum_gwx), gw = g*w.
EMBER_HD inline double layer_norm_dx(double gw, double xhat, double r, double n, double sum_gw, double sum_gwx) {
  return r / n * (n * gw - sum_gw - xhat * sum_gwx);
}
/// Batch-norm dx of one element. training: k/M * (M*g - sum_g - xhat*sum_gx), k = w*rstd;
/// eval: k*g.
EMBER_HD inline double batch_norm_dx(double g, double xhat, double k, double M, double sum_g, double sum_gx,
                                     bool training) {
  return training ? k / M * (M * g - sum_g - xhat * sum_gx) : k * g;
}

// ---- optimizer updates (src/optim/update_kernels.cpp: sgd_loop, adam_loop) ---------------
// One IEEE operation per statement, in the CPU loop's order; compiled without multiply-add
// contraction (optim.cu: --fmad=false) so device results equal the CPU's bit for bit.

template <class T>
struct SgdScalars {
  T wd, mom, damp, lr;
  bool use_wd, use_mom, nesterov, first;
};
template <class T>
EMBER_HD inline void sgd_step(T& p, T g, T* buf, const SgdScalars<T>& a) {
  T d = g;
  if (a.use_wd) {
    T t = p * a.wd;
    d = d + t;
  }
  if (a.use_mom) {
    T b;
    if (a.first) {
      b = d;
    } else {
      T x = *buf * a.mom;
      T y = d * a.damp;
      b = x + y;
    }
    *buf = b;
    if (a.nesterov) {
      T t = b * a.mom;
      d = d + t;
    } else {
      d = b;
    }
  }
  T s = d * a.lr;
  p = p - s;
}

template <class T>
struct AdamScalars {
  T w, omw, b2, omb2, wd, eps, neg_step, bc2s, decay;
  bool low, use_wd, decoupled;
};
template <class T>
EMBER_HD inline void adam_step(T& p, T g, T& m, T& v, const AdamScalars<T>& a) {
  T x = p;
  T gi = g;
  if (a.use_wd) {
    if (a.decoupled) {
      x = x * a.decay;
    } else {
      T t = x * a.wd;
      gi = gi + t;
    }
  }
  T diff = gi - m;
  T mi;
  if (a.low) {
    T t = diff * a.w;
    mi = m + t;
  } else {
    T t = diff * a.omw;
    mi = gi - t;
  }
  m = mi;
  T vb = v * a.b2;
  T gg = gi * a.omb2;
  gg = gg * gi;
  T vi = vb + gg;
  v = vi;
  T denom = m_sqrt(vi);
  denom = denom / a.bc2s;
  denom = denom + a.eps;
  T num = mi * a.neg_step;
  num = num / denom;
  p = x + num;
}

/// The per-step scalars of adam_step, rounded to T exactly as adam_loop rounds them.
template <class T>
inline AdamScalars<T> adam_scalars(double lr, double beta1, double beta2, double eps, double weight_decay,
                                   bool decoupled, int64_t step) {
  AdamScalars<T> s;
  const double w_d = 1.0 - beta1;
  s.low = w_d < 0.5;
  s.w = static_cast<T>(w_d);
  s.omw = static_cast<T>(1.0 - w_d);
  s.b2 = static_cast<T>(beta2);
  s.omb2 = static_cast<T>(1.0 - beta2);
  s.wd = static_cast<T>(weight_decay);
  s.eps = static_cast<T>(eps);
  const double bc1 = 1.0 - pow(beta1, static_cast<double>(step));
  const double bc2 = 1.0 - pow(beta2, static_cast<double>(step));
  s.neg_step = static_cast<T>(-(lr / bc1));
  s.bc2s = static_cast<T>(sqrt(bc2));
  s.decay = static_cast<T>(1.0 - lr * weight_decay);
  s.use_wd = weight_decay != 0;
  s.decoupled = decoupled;
  return s;
}
/// The per-step scalars of sgd_step, rounded as sgd_loop rounds them.
template <class T>
inline SgdScalars<T> sgd_scalars(double lr, double momentum, double dampening, double weight_decay, bool nesterov,
                                 bool first) {
  SgdScalars<T> s;
  s.wd = static_cast<T>(weight_decay);
  s.mom = static_cast<T>(momentum);
  s.damp = static_cast<T>(1.0 - dampening);
  s.lr = static_cast<T>(lr);
  s.use_wd = weight_decay != 0;
  s.use_mom = momentum != 0;
  s.nesterov = nesterov;
  s.first = first;
  return s;
}

}  // namespace ember::math
