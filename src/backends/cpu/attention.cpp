// CPU row kernels of scaled dot-product attention (core/kernels/attention.h): causal mask from
// indices, softmax and dropout in one pass over each (B, L, S) score row, and the softmax
// gradient with the dropout mask redrawn. float32 rows run on 8-float vectors (vec_exp.h);
// float64 and the 16-bit floats run the scalar loops (computing in acc_t).
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/dispatch.h"
#include "backends/cpu/parallel.h"
#include "backends/cpu/strided.h"
#include "backends/cpu/vec_exp.h"
#include "core/kernel_formulas.h"
#include "core/kernel_math.h"
#include "core/kernels/attention.h"

namespace ember::cpu {
namespace {

/// 16-bit floats run the float32 vector rows on a widened copy.
template <class T>
inline constexpr bool kWiden = std::is_same_v<T, BFloat16> || std::is_same_v<T, Half>;
template <class T>
void widen(const T* in, float* out, int64_t n) {
  for (int64_t j = 0; j < n; ++j) out[j] = static_cast<float>(in[j]);
}

struct Rows {
  int64_t rows, L, S;
};
Rows rows_of(const TensorArg& t) {
  const int64_t nd = t.dim();
  return {t.numel() / std::max<int64_t>(1, t.sizes[nd - 1]), t.sizes[nd - 2], t.sizes[nd - 1]};
}
int64_t row_grain(int64_t S) { return std::max<int64_t>(1, kGrainSize / std::max<int64_t>(S, 1) / 4); }

/// exp(x - m) of row[0, n) into out (may be x), returning the sum (float32 fast path). Both rows
/// have len >= n floats; the last block may be written whole (zeros past n) when it fits in len.
/// Returns the end of what was written.
int64_t exp_row(const float* x, float* out, int64_t n, int64_t len, float m, float& sum) {
  using namespace vec;
  F8 acc = splat(0.0f);
  const F8 mv = splat(m);
  int64_t j = 0;
  for (; j + kF8 <= n; j += kF8) {
    const F8 e = exp8(load8(x + j) - mv);
    store8(out + j, e);
    acc += e;
  }
  if (j < n) {
    const F8 e = exp8(load_masked(x, j, n, len, -std::numeric_limits<float>::infinity()) - mv);  // 0 past n
    acc += e;
    if (j + kF8 <= len) {
      store8(out + j, e);
      j += kF8;
    } else {
      store_partial(out + j, e, n - j);
      j = n;
    }
  }
  sum = hsum(acc);
  return j;
}

/// y[0, n) *= s, n a multiple of 8 or the row's end.
void scale_row(float* y, int64_t n, float s) {
  using namespace vec;
  const F8 sv = splat(s);
  int64_t j = 0;
  for (; j + kF8 <= n; j += kF8) store8(y + j, load8(y + j) * sv);
  for (; j < n; ++j) y[j] *= s;
}

template <class T>
void softmax_rows(const TensorArg& s_arg, const TensorArg& p_arg, const TensorArg* pd_arg, bool causal, uint64_t seed,
                  uint64_t first, uint64_t threshold, double keep) {
  using A = acc_t<T>;
  const Rows g = rows_of(s_arg);
  const T* s = ptr<const T>(s_arg);
  T* p = ptr<T>(p_arg);
  T* pd = pd_arg ? ptr<T>(*pd_arg) : nullptr;
  const A k = static_cast<A>(static_cast<T>(static_cast<A>(keep)));  // the mask value, in T
  parallel_for(g.rows, row_grain(g.S), [&](int64_t b, int64_t e) {
    std::vector<float> xf(kWiden<T> ? static_cast<size_t>(g.S) : 0);  // a 16-bit row widened
    for (int64_t r = b; r < e; ++r) {
      const int64_t n = causal ? EMBER_CAUSAL_KEYS(r % g.L, g.S) : g.S;
      const T* x = s + r * g.S;
      T* y = p + r * g.S;
      int64_t written = n;
      if constexpr (std::is_same_v<T, float> || kWiden<T>) {
        const float* xr;
        float* yr;
        if constexpr (kWiden<T>) {
          widen(x, xf.data(), n);
          xr = yr = xf.data();
        } else {
          xr = x, yr = y;
        }
        float m = vec::row_max(xr, n, g.S);
        if (std::isinf(m) && m < 0) m = 0;  // all -inf row: zeros rather than NaN, as softmax
        float sum = 0;
        written = exp_row(xr, yr, n, g.S, m, sum);
        scale_row(yr, written, 1.0f / sum);
        if constexpr (kWiden<T>) {  // one rounding to T per weight
          for (int64_t j = 0; j < n; ++j) y[j] = static_cast<T>(yr[j]);
          written = n;
        }
      } else {
        A m = -std::numeric_limits<A>::infinity();
        for (int64_t j = 0; j < n; ++j) m = std::max(m, static_cast<A>(x[j]));
        if (std::isinf(m) && m < 0) m = 0;
        A sum = 0;
        for (int64_t j = 0; j < n; ++j) sum += std::exp(static_cast<A>(x[j]) - m);
        const A inv = A(1) / sum;
        for (int64_t j = 0; j < n; ++j) y[j] = static_cast<T>(std::exp(static_cast<A>(x[j]) - m) * inv);
      }
      std::fill(y + written, y + g.S, static_cast<T>(0.0f));
      if (pd) {
        T* yd = pd + r * g.S;
        const uint64_t base = first + static_cast<uint64_t>(r * g.S);
        for (int64_t j = 0; j < n; ++j)
          yd[j] = static_cast<T>(static_cast<A>(y[j]) * math::dropout_mask<A>(seed, base + j, threshold, k));
        std::fill(yd + n, yd + g.S, static_cast<T>(0.0f));
      }
    }
  });
}

/// sum(g * p) over [0, n) (float32 fast path; both rows have len >= n readable floats).
float dot_row(const float* g, const float* p, int64_t n, int64_t len) {
  using namespace vec;
  F8 acc = splat(0.0f);
  int64_t j = 0;
  for (; j + kF8 <= n; j += kF8) acc += load8(g + j) * load8(p + j);
  if (j < n) acc += load_masked(g, j, n, len, 0.0f) * load_masked(p, j, n, len, 0.0f);
  return hsum(acc);
}

/// ds = scale * p * (g - dot) over [0, n) (float32 fast path; ds may be g). The last block is
/// written whole (zeros past n) when it fits in len; returns the end of what was written.
int64_t grad_row(const float* g, const float* p, float* ds, int64_t n, int64_t len, float dot, float scale) {
  using namespace vec;
  const F8 dv = splat(dot), sv = splat(scale);
  int64_t j = 0;
  for (; j + kF8 <= n; j += kF8) store8(ds + j, EMBER_SOFTMAX_GRAD(load8(p + j), load8(g + j), dv, sv));
  if (j < n && j + kF8 <= len) {
    const F8 pv = load_masked(p, j, n, len, 0.0f), gv = load_masked(g, j, n, len, 0.0f);
    store8(ds + j, EMBER_SOFTMAX_GRAD(pv, gv, dv, sv));  // p = 0 past n
    return j + kF8;
  }
  for (; j < n; ++j) ds[j] = EMBER_SOFTMAX_GRAD(p[j], g[j], dot, scale);
  return n;
}

template <class T>
void softmax_backward_rows(const TensorArg& dpd_arg, const TensorArg& p_arg, const TensorArg& ds_arg, bool causal,
                           double scale, uint64_t seed, uint64_t first, uint64_t threshold, double keep) {
  using A = acc_t<T>;
  const Rows g = rows_of(p_arg);
  const T* dpd = ptr<const T>(dpd_arg);
  const T* p = ptr<const T>(p_arg);
  T* ds = ptr<T>(ds_arg);
  const A k = static_cast<A>(static_cast<T>(static_cast<A>(keep)));
  const A sc = static_cast<A>(scale);
  const bool dropped = threshold != 0 || keep != 1.0;
  parallel_for(g.rows, row_grain(g.S), [&](int64_t b, int64_t e) {
    std::vector<A> gm(dropped ? static_cast<size_t>(g.S) : 0);  // the masked gradient of one row
    std::vector<float> gf(kWiden<T> ? static_cast<size_t>(g.S) : 0), pf(gf.size());  // 16-bit rows widened
    for (int64_t r = b; r < e; ++r) {
      const int64_t n = causal ? EMBER_CAUSAL_KEYS(r % g.L, g.S) : g.S;
      const T* gr = dpd + r * g.S;
      const T* pr = p + r * g.S;
      T* dr = ds + r * g.S;
      int64_t written = n;
      if (!dropped) {
        if constexpr (std::is_same_v<T, float>) {
          written = grad_row(gr, pr, dr, n, g.S, dot_row(gr, pr, n, g.S), sc);
        } else if constexpr (kWiden<T>) {
          widen(gr, gf.data(), n);
          widen(pr, pf.data(), n);
          grad_row(gf.data(), pf.data(), gf.data(), n, g.S, dot_row(gf.data(), pf.data(), n, g.S), sc);
          for (int64_t j = 0; j < n; ++j) dr[j] = static_cast<T>(gf[j]);
        } else {
          A dot = 0;
          for (int64_t j = 0; j < n; ++j) dot += static_cast<A>(gr[j]) * static_cast<A>(pr[j]);
          for (int64_t j = 0; j < n; ++j)
            dr[j] = static_cast<T>(EMBER_SOFTMAX_GRAD(static_cast<A>(pr[j]), static_cast<A>(gr[j]), dot, sc));
        }
      } else {
        const uint64_t base = first + static_cast<uint64_t>(r * g.S);
        A dot = 0;
        for (int64_t j = 0; j < n; ++j) {
          gm[j] = static_cast<A>(gr[j]) * math::dropout_mask<A>(seed, base + j, threshold, k);
          dot += gm[j] * static_cast<A>(pr[j]);
        }
        for (int64_t j = 0; j < n; ++j)
          dr[j] = static_cast<T>(EMBER_SOFTMAX_GRAD(static_cast<A>(pr[j]), gm[j], dot, sc));
      }
      std::fill(dr + written, dr + g.S, static_cast<T>(0.0f));
    }
  });
}

void check_rows(const char* op, std::initializer_list<const TensorArg*> ts) {
  const TensorArg& first = **ts.begin();
  for (const TensorArg* t : ts)
    EMBER_CHECK(t->contiguous() && t->dim() >= 2 && t->sizes == first.sizes && t->dtype == first.dtype, op,
                ": operands must be contiguous (B, L, S) tensors of one shape and dtype");
}

void attention_softmax_kernel(const TensorArg& s, const TensorArg& p, const TensorArg* pd, bool causal, uint64_t seed,
                              uint64_t first, uint64_t threshold, double keep) {
  if (pd) check_rows("attention_softmax", {&s, &p, pd});
  else check_rows("attention_softmax", {&s, &p});
  if (s.numel() == 0) return;
  EMBER_DISPATCH_FLOATING(s.dtype, "attention_softmax",
                          { softmax_rows<scalar_t>(s, p, pd, causal, seed, first, threshold, keep); });
}

void attention_softmax_backward_kernel(const TensorArg& dpd, const TensorArg& p, const TensorArg& ds, bool causal,
                                       double scale, uint64_t seed, uint64_t first, uint64_t threshold, double keep) {
  check_rows("attention_softmax_backward", {&dpd, &p, &ds});
  if (p.numel() == 0) return;
  EMBER_DISPATCH_FLOATING(p.dtype, "attention_softmax_backward", {
    softmax_backward_rows<scalar_t>(dpd, p, ds, causal, scale, seed, first, threshold, keep);
  });
}

}  // namespace

void register_attention_kernels(KernelTable& t) {
  t.set(kernels::kAttentionSoftmax, attention_softmax_kernel);
  t.set(kernels::kAttentionSoftmaxBackward, attention_softmax_backward_kernel);
}

}  // namespace ember::cpu
