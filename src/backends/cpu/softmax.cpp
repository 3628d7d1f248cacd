// CPU reference kernels for softmax / log-softmax (forward, backward) and the fused
// cross-entropy and NLL losses. Rows ([rows..., C], last dim reduced) run in parallel.
#include <algorithm>
#include <cmath>
#include <limits>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/dispatch.h"
#include "backends/cpu/parallel.h"
#include "backends/cpu/strided.h"
#include "core/kernels/softmax.h"

namespace ember::cpu {
namespace {

/// Splits [rows..., C] into the outer (row) sizes/strides and the inner length/stride.
struct RowView {
  Shape outer_sizes, outer_strides;
  int64_t rows = 1, cols = 1, col_stride = 1;
};
RowView row_view(const TensorArg& a) {
  RowView v;
  if (a.dim() == 0) return v;
  v.outer_sizes.assign(a.sizes.begin(), a.sizes.end() - 1);
  v.outer_strides.assign(a.strides.begin(), a.strides.end() - 1);
  v.rows = shape_numel(v.outer_sizes);
  v.cols = a.sizes.back();
  v.col_stride = a.strides.back();
  return v;
}

/// Calls f(row offsets) for every row, in parallel chunks.
template <size_t N, class F>
void for_rows(const std::array<const TensorArg*, N>& args, F&& f) {
  RowView v0 = row_view(*args[0]);
  std::array<Shape, N> strides;
  std::array<const Shape*, N> sp;
  for (size_t k = 0; k < N; ++k) {
    strides[k] = row_view(*args[k]).outer_strides;
    sp[k] = &strides[k];
  }
  int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(v0.cols, 1));
  parallel_for(v0.rows, grain, [&](int64_t b, int64_t e) {
    for_each_offset<N>(v0.outer_sizes, sp, b, e, f);
  });
}

template <class T>
void softmax_typed(const TensorArg& in, const TensorArg& out, bool log) {
  using A = acc_t<T>;
  const RowView vi = row_view(in), vo = row_view(out);
  const int64_t C = vi.cols, si = vi.col_stride, so = vo.col_stride;
  const T* x = ptr<const T>(in);
  T* y = ptr<T>(out);
  for_rows<2>({&in, &out}, [&](const std::array<int64_t, 2>& o) {
    const T* xr = x + o[0];
    T* yr = y + o[1];
    A m = -std::numeric_limits<A>::infinity();
    for (int64_t j = 0; j < C; ++j) m = std::max(m, static_cast<A>(xr[j * si]));
    if (std::isinf(m) && m < 0) m = 0;  // all -inf row: keep exp(-inf - 0) = 0 rather than NaN
    A s = 0;
    if (log) {
      for (int64_t j = 0; j < C; ++j) s += std::exp(static_cast<A>(xr[j * si]) - m);
      A lse = m + std::log(s);
      for (int64_t j = 0; j < C; ++j) yr[j * so] = static_cast<T>(static_cast<A>(xr[j * si]) - lse);
    } else {
      for (int64_t j = 0; j < C; ++j) {
        A e = std::exp(static_cast<A>(xr[j * si]) - m);
        yr[j * so] = static_cast<T>(e);
        s += e;
      }
      A inv = A(1) / s;
      if constexpr (std::is_same_v<T, A>) {
        for (int64_t j = 0; j < C; ++j) yr[j * so] *= inv;
      } else {  // recompute rather than round twice through the 16-bit output
        for (int64_t j = 0; j < C; ++j) yr[j * so] = static_cast<T>(std::exp(static_cast<A>(xr[j * si]) - m) * inv);
      }
    }
  });
}

template <class T>
void softmax_backward_typed(const TensorArg& grad, const TensorArg& out, const TensorArg& gin, bool log) {
  using A = acc_t<T>;
  const int64_t C = row_view(out).cols;
  const int64_t sg = row_view(grad).col_stride, sy = row_view(out).col_stride, sx = row_view(gin).col_stride;
  const T* g = ptr<const T>(grad);
  const T* y = ptr<const T>(out);
  T* dx = ptr<T>(gin);
  for_rows<3>({&grad, &out, &gin}, [&](const std::array<int64_t, 3>& o) {
    const T* gr = g + o[0];
    const T* yr = y + o[1];
    T* dr = dx + o[2];
    A s = 0;
    if (log) {
      for (int64_t j = 0; j < C; ++j) s += static_cast<A>(gr[j * sg]);
      for (int64_t j = 0; j < C; ++j)
        dr[j * sx] = static_cast<T>(static_cast<A>(gr[j * sg]) - std::exp(static_cast<A>(yr[j * sy])) * s);
    } else {
      for (int64_t j = 0; j < C; ++j) s += static_cast<A>(gr[j * sg]) * static_cast<A>(yr[j * sy]);
      for (int64_t j = 0; j < C; ++j)
        dr[j * sx] = static_cast<T>(static_cast<A>(yr[j * sy]) * (static_cast<A>(gr[j * sg]) - s));
    }
  });
}

int64_t checked_target(const char* op, const int64_t* t, int64_t i, int64_t C) {
  int64_t v = *t;
  EMBER_CHECK(v >= 0 && v < C, op, ": target ", v, " at index ", i, " is out of range [0, ", C, ")");
  return v;
}

/// Statistics type of the fused losses: double for double logits, float otherwise.
template <class T>
using stat_t = std::conditional_t<std::is_same_v<T, double>, double, float>;

template <class T>
void cross_entropy_forward_typed(const TensorArg& logits, const TensorArg& target, const TensorArg& loss,
                                 const TensorArg& lse_out, double ls) {
  using A = acc_t<T>;
  const int64_t N = logits.sizes[0], C = logits.sizes[1], s0 = logits.strides[0], s1 = logits.strides[1];
  const int64_t ts = target.strides[0];
  const T* x = ptr<const T>(logits);
  const int64_t* tg = ptr<const int64_t>(target);
  T* l = ptr<T>(loss);
  stat_t<T>* lse = ptr<stat_t<T>>(lse_out);
  const A a_ls = static_cast<A>(ls), a_keep = static_cast<A>(1.0 - ls);
  parallel_for(N, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(C, 1)), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const T* xr = x + i * s0;
      int64_t t = checked_target("cross_entropy", tg + i * ts, i, C);
      A m = -std::numeric_limits<A>::infinity(), sum_x = 0;
      for (int64_t j = 0; j < C; ++j) {
        A v = static_cast<A>(xr[j * s1]);
        m = std::max(m, v);
        sum_x += v;
      }
      A s = 0;
      for (int64_t j = 0; j < C; ++j) s += std::exp(static_cast<A>(xr[j * s1]) - m);
      A r = m + std::log(s);
      A nll = r - static_cast<A>(xr[t * s1]);
      A li = a_keep * nll;
      if (ls != 0.0) li += a_ls * (r - sum_x / static_cast<A>(C));
      l[i] = static_cast<T>(li);
      lse[i] = static_cast<stat_t<T>>(r);
    }
  });
}

template <class T>
void cross_entropy_backward_typed(const TensorArg& logits, const TensorArg& target, const TensorArg& lse_in,
                                  const TensorArg& grad, double scale, double ls, const TensorArg& dlogits) {
  using A = acc_t<T>;
  const int64_t N = logits.sizes[0], C = logits.sizes[1], s0 = logits.strides[0], s1 = logits.strides[1];
  const int64_t ts = target.strides[0], gs = grad.strides[0];
  const T* x = ptr<const T>(logits);
  const int64_t* tg = ptr<const int64_t>(target);
  const stat_t<T>* lse = ptr<const stat_t<T>>(lse_in);
  const T* g = ptr<const T>(grad);
  T* d = ptr<T>(dlogits);
  const A uniform = static_cast<A>(ls / static_cast<double>(C)), keep = static_cast<A>(1.0 - ls);
  parallel_for(N, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(C, 1)), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const T* xr = x + i * s0;
      T* dr = d + i * C;
      int64_t t = checked_target("cross_entropy", tg + i * ts, i, C);
      A gi = static_cast<A>(g[i * gs]) * static_cast<A>(scale);
      A r = static_cast<A>(lse[i]);
      for (int64_t j = 0; j < C; ++j) {
        A p = std::exp(static_cast<A>(xr[j * s1]) - r) - uniform - (j == t ? keep : A(0));
        dr[j] = static_cast<T>(p * gi);
      }
    }
  });
}

template <class T>
void nll_forward_typed(const TensorArg& lp, const TensorArg& target, const TensorArg& loss) {
  const int64_t N = lp.sizes[0], C = lp.sizes[1], s0 = lp.strides[0], s1 = lp.strides[1], ts = target.strides[0];
  const T* x = ptr<const T>(lp);
  const int64_t* tg = ptr<const int64_t>(target);
  T* l = ptr<T>(loss);
  parallel_for(N, kGrainSize, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      int64_t t = checked_target("nll_loss", tg + i * ts, i, C);
      l[i] = static_cast<T>(-static_cast<acc_t<T>>(x[i * s0 + t * s1]));
    }
  });
}

template <class T>
void nll_backward_typed(const TensorArg& target, const TensorArg& grad, double scale, const TensorArg& dlp) {
  const int64_t N = dlp.sizes[0], C = dlp.sizes[1], ts = target.strides[0], gs = grad.strides[0];
  const int64_t* tg = ptr<const int64_t>(target);
  const T* g = ptr<const T>(grad);
  T* d = ptr<T>(dlp);
  parallel_for(N, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(C, 1)), [&](int64_t b, int64_t e) {
    std::fill(d + b * C, d + e * C, static_cast<T>(0.0f));
    for (int64_t i = b; i < e; ++i) {
      int64_t t = checked_target("nll_loss", tg + i * ts, i, C);
      d[i * C + t] = static_cast<T>(-static_cast<acc_t<T>>(g[i * gs]) * static_cast<acc_t<T>>(scale));
    }
  });
}

void softmax_kernel(const TensorArg& in, const TensorArg& out, bool log) {
  EMBER_DISPATCH_FLOATING(in.dtype, log ? "log_softmax" : "softmax", { softmax_typed<scalar_t>(in, out, log); });
}
void softmax_backward_kernel(const TensorArg& g, const TensorArg& out, const TensorArg& gin, bool log) {
  EMBER_DISPATCH_FLOATING(out.dtype, "softmax_backward", { softmax_backward_typed<scalar_t>(g, out, gin, log); });
}
void cross_entropy_forward_kernel(const TensorArg& x, const TensorArg& t, const TensorArg& loss, const TensorArg& lse,
                                  double ls) {
  EMBER_DISPATCH_FLOATING(x.dtype, "cross_entropy", { cross_entropy_forward_typed<scalar_t>(x, t, loss, lse, ls); });
}
void cross_entropy_backward_kernel(const TensorArg& x, const TensorArg& t, const TensorArg& lse, const TensorArg& g,
                                   double scale, double ls, const TensorArg& dx) {
  EMBER_DISPATCH_FLOATING(x.dtype, "cross_entropy_backward",
                          { cross_entropy_backward_typed<scalar_t>(x, t, lse, g, scale, ls, dx); });
}
void nll_forward_kernel(const TensorArg& lp, const TensorArg& t, const TensorArg& loss) {
  EMBER_DISPATCH_FLOATING(lp.dtype, "nll_loss", { nll_forward_typed<scalar_t>(lp, t, loss); });
}
void nll_backward_kernel(const TensorArg& t, const TensorArg& g, double scale, const TensorArg& dlp) {
  EMBER_DISPATCH_FLOATING(dlp.dtype, "nll_loss_backward", { nll_backward_typed<scalar_t>(t, g, scale, dlp); });
}

}  // namespace

void register_softmax_kernels(KernelTable& t) {
  t.set(kernels::kSoftmax, softmax_kernel);
  t.set(kernels::kSoftmaxBackward, softmax_backward_kernel);
  t.set(kernels::kCrossEntropyForward, cross_entropy_forward_kernel);
  t.set(kernels::kCrossEntropyBackward, cross_entropy_backward_kernel);
  t.set(kernels::kNllForward, nll_forward_kernel);
  t.set(kernels::kNllBackward, nll_backward_kernel);
}

}  // namespace ember::cpu
