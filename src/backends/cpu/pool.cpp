// CPU pooling kernels: reference loops (one (H,W) plane per task) for max, average and
// adaptive average pooling and their backwards, with fast paths where they apply: oneDNN
// (max inference, average), and a branch-free 2x2 stride-2 max pooling with indices (the
// common CNN case, which oneDNN cannot serve with ember's flat int64 indices).
#include <array>
#include <cmath>
#include <type_traits>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/dispatch.h"
#include "backends/cpu/fast_path.h"
#include "backends/cpu/onednn/pool.h"
#include "backends/cpu/parallel.h"
#include "backends/cpu/strided.h"
#include "backends/cpu/vec2x2.h"
#include "core/kernel_math.h"
#include "core/kernels/pool.h"

namespace ember::cpu {
namespace {

using kernels::Pool2dGeometry;

/// Plane geometry of a pooling call: in (H,W), out (OH,OW), planes = N*C.
struct Planes {
  int64_t planes, H, W, OH, OW;
  Planes(const TensorArg& in, const TensorArg& out)
      : planes(in.sizes[0] * in.sizes[1]), H(in.sizes[2]), W(in.sizes[3]), OH(out.sizes[2]), OW(out.sizes[3]) {}
  int64_t grain(int64_t work_per_plane) const { return std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, work_per_plane)); }
};

/// The input rows [lo, hi) of window o along one dim (clipped to the input).
inline void window(int64_t o, int64_t k, int64_t s, int64_t p, int64_t n, int64_t& lo, int64_t& hi) {
  lo = o * s - p;
  hi = std::min(lo + k, n);
  lo = std::max<int64_t>(lo, 0);
}

/// Calls f(o, h0, h1, w0, w1) for each output position o = oh*OW + ow of one plane, with the
/// rows [h0,h1) and columns [w0,w1) of its window clipped to the input.
template <class F>
inline void for_each_window(const Planes& d, const Pool2dGeometry& g, F&& f) {
  for (int64_t oh = 0; oh < d.OH; ++oh) {
    int64_t h0, h1;
    window(oh, g.kernel[0], g.stride[0], g.padding[0], d.H, h0, h1);
    for (int64_t ow = 0; ow < d.OW; ++ow) {
      int64_t w0, w1;
      window(ow, g.kernel[1], g.stride[1], g.padding[1], d.W, w0, w1);
      f(oh * d.OW + ow, h0, h1, w0, w1);
    }
  }
}

template <class T>
void max_forward_ref(const TensorArg& xa, const TensorArg& oa, const TensorArg* ia, const Pool2dGeometry& g) {
  using A = acc_t<T>;
  const Planes d(xa, oa);
  const T* x = ptr<const T>(xa);
  T* out = ptr<T>(oa);
  int64_t* idx = ia ? ptr<int64_t>(*ia) : nullptr;
  parallel_for(d.planes, d.grain(d.OH * d.OW * g.kernel[0] * g.kernel[1]), [&](int64_t b, int64_t e) {
    for (int64_t pl = b; pl < e; ++pl) {
      const T* xp = x + pl * d.H * d.W;
      for_each_window(d, g, [&](int64_t po, int64_t h0, int64_t h1, int64_t w0, int64_t w1) {
        A best = static_cast<A>(xp[h0 * d.W + w0]);
        int64_t best_i = h0 * d.W + w0;
        for (int64_t h = h0; h < h1 && !std::isnan(best); ++h)
          for (int64_t w = w0; w < w1; ++w) {
            A v = static_cast<A>(xp[h * d.W + w]);
            if (v > best || std::isnan(v)) {
              best = v;
              best_i = h * d.W + w;
              if (std::isnan(v)) break;
            }
          }
        const int64_t o = pl * d.OH * d.OW + po;
        out[o] = static_cast<T>(best);
        if (idx) idx[o] = best_i;
      });
    }
  });
}

template <class T>
void max_backward_ref(const TensorArg& ga, const TensorArg& ia, const TensorArg& gxa) {
  using A = acc_t<T>;
  const Planes d(gxa, ga);
  const T* go = ptr<const T>(ga);
  const int64_t* idx = ptr<const int64_t>(ia);
  T* gx = ptr<T>(gxa);
  const int64_t in_plane = d.H * d.W, out_plane = d.OH * d.OW;
  parallel_for(d.planes, d.grain(in_plane + out_plane), [&](int64_t b, int64_t e) {
    if constexpr (std::is_same_v<A, T>) {  // accumulate straight into grad_x
      std::fill(gx + b * in_plane, gx + e * in_plane, T(0));
      for (int64_t pl = b; pl < e; ++pl) {
        T* gp = gx + pl * in_plane;
        for (int64_t o = pl * out_plane; o < (pl + 1) * out_plane; ++o) gp[idx[o]] += go[o];
      }
    } else {
      std::vector<A> acc(static_cast<size_t>(in_plane));
      for (int64_t pl = b; pl < e; ++pl) {
        std::fill(acc.begin(), acc.end(), A(0));
        for (int64_t o = pl * out_plane; o < (pl + 1) * out_plane; ++o) acc[idx[o]] += static_cast<A>(go[o]);
        T* gp = gx + pl * in_plane;
        for (int64_t i = 0; i < in_plane; ++i) gp[i] = static_cast<T>(acc[i]);
      }
    }
  });
}

/// Outputs [0, n) of a row of 2x2 stride-2 max pooling from input rows r0, r1: the first
/// maximum in row-major window order (the first NaN wins), branch-free so it vectorises.
/// base: the flat (h*W + w) index of r0[0]; kIdx: write the arg-max indices to ix.
template <class T, bool kIdx>
inline void max_span_2x2(const T* __restrict r0, const T* __restrict r1, T* __restrict o, int64_t* __restrict ix,
                         int64_t n, int64_t W, int64_t base) {
  using A = acc_t<T>;
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    const A v0 = static_cast<A>(r0[2 * i]), v1 = static_cast<A>(r0[2 * i + 1]);
    const A v2 = static_cast<A>(r1[2 * i]), v3 = static_cast<A>(r1[2 * i + 1]);
    // A later element wins when it is greater, or NaN while the best so far is not.
    // k: the winner's position in the window (row-major), kept 32-bit to stay in float lanes.
    A best = v0;
    int32_t k = 0;
    bool u = v1 > best || (v1 != v1 && best == best);
    best = u ? v1 : best, k = u ? 1 : k;
    u = v2 > best || (v2 != v2 && best == best);
    best = u ? v2 : best, k = u ? 2 : k;
    u = v3 > best || (v3 != v3 && best == best);
    best = u ? v3 : best, k = u ? 3 : k;
    o[i] = static_cast<T>(best);
    if constexpr (kIdx) ix[i] = base + 2 * i + (k & 1) + (k >> 1) * W;
  }
}

/// L float32 windows at once (vec2x2.h): the same maxima and indices as max_span_2x2.
template <int L, bool kIdx>
inline void max_block_2x2(const float* r0, const float* r1, float* o, int64_t* ix, int64_t W, int64_t base) {
  using V = vec::Lanes<L>;
  using F = typename V::F;
  using I = typename V::I;
  const vec::Windows<L> w(r0, r1);
  F best = w.x0;
  I k{};
  auto later = [&](F v, int32_t pos) {  // v wins when greater, or NaN while best is not
    const I u = (v > best) | ((v != v) & (best == best));
    best = u ? v : best;
    k = u ? I{} + pos : k;
  };
  later(w.x1, 1), later(w.x2, 2), later(w.x3, 3);
  vec::store(o, best);
  if constexpr (kIdx)
    for (int i = 0; i < L; ++i) ix[i] = base + 2 * i + (k[i] & 1) + (k[i] >> 1) * W;
}

/// A whole output row: float32 in vector blocks (vec2x2.h), other types and rows under 4
/// windows through max_span_2x2.
template <class T, bool kIdx>
inline void max_row_2x2(const T* r0, const T* r1, T* o, int64_t* ix, int64_t OW, int64_t W, int64_t base) {
  if constexpr (std::is_same_v<T, float>) {
    auto block = [&]<int L>(int64_t j) {
      max_block_2x2<L, kIdx>(r0 + 2 * j, r1 + 2 * j, o + j, kIdx ? ix + j : nullptr, W, base + 2 * j);
    };
    if (vec::for_blocks(OW, block)) return;
  }
  max_span_2x2<T, kIdx>(r0, r1, o, ix, OW, W, base);
}

/// Backward of L float32 windows: the gradient at each window's arg-max (flat index ix), zero
/// at its other three elements.
template <int L>
inline void max_grad_block_2x2(const float* g, const int64_t* ix, float* d0, float* d1, int64_t W, int64_t base) {
  using V = vec::Lanes<L>;
  using F = typename V::F;
  using I = typename V::I;
  I k;  // position in the window: 0, 1, W or W + 1 (small: fits 32 bits)
  for (int i = 0; i < L; ++i) k[i] = static_cast<int32_t>(ix[i] - base - 2 * i);
  const F gv = vec::load<F>(g);
  const int32_t w = static_cast<int32_t>(W);
  vec::store_windows<L>(d0, d1, k == 0 ? gv : F{}, k == 1 ? gv : F{}, k == w ? gv : F{}, k == w + 1 ? gv : F{});
}

/// Max pooling with a 2x2 window, stride 2 and no padding (any H, W >= 2): the same result
/// and indices as max_forward_ref, one output row at a time.
template <class T>
void max_forward_2x2(const TensorArg& xa, const TensorArg& oa, const TensorArg* ia) {
  const Planes d(xa, oa);
  const T* x = ptr<const T>(xa);
  T* out = ptr<T>(oa);
  int64_t* idx = ia ? ptr<int64_t>(*ia) : nullptr;
  const int64_t W = d.W, OW = d.OW, OH = d.OH, H = d.H;
  parallel_for(d.planes * OH, std::max<int64_t>(1, kGrainSize / (4 * OW)), [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; ++row) {
      const int64_t pl = row / OH, oh = row % OH;
      const T* r0 = x + (pl * H + 2 * oh) * W;
      if (idx) max_row_2x2<T, true>(r0, r0 + W, out + row * OW, idx + row * OW, OW, W, 2 * oh * W);
      else max_row_2x2<T, false>(r0, r0 + W, out + row * OW, nullptr, OW, W, 2 * oh * W);
    }
  });
}

/// Backward of 2x2 stride-2 max pooling: every input element belongs to at most one window,
/// so each is written exactly once (the gradient at the window's arg-max, zero elsewhere,
/// zero for an unused last row/column) with no zero-fill pass and no scatter.
template <class T>
void max_backward_2x2(const TensorArg& ga, const TensorArg& ia, const TensorArg& gxa) {
  const Planes d(gxa, ga);
  const T* go = ptr<const T>(ga);
  const int64_t* idx = ptr<const int64_t>(ia);
  T* gx = ptr<T>(gxa);
  const int64_t W = d.W, H = d.H, OW = d.OW, OH = d.OH;
  parallel_for(d.planes, d.grain(H * W), [&](int64_t b, int64_t e) {
    for (int64_t pl = b; pl < e; ++pl) {
      T* gp = gx + pl * H * W;
      for (int64_t oh = 0; oh < OH; ++oh) {
        T* __restrict r0 = gp + 2 * oh * W;
        T* __restrict r1 = r0 + W;
        const T* __restrict g = go + (pl * OH + oh) * OW;
        const int64_t* __restrict ix = idx + (pl * OH + oh) * OW;
        const int64_t base = 2 * oh * W;
        if constexpr (std::is_same_v<T, float>) {
          auto block = [&]<int L>(int64_t j) { max_grad_block_2x2<L>(g + j, ix + j, r0 + 2 * j, r1 + 2 * j, W, base + 2 * j); };
          if (vec::for_blocks(OW, block)) {
            if (W > 2 * OW) r0[W - 1] = T(0), r1[W - 1] = T(0);
            continue;
          }
        }
#pragma omp simd
        for (int64_t ow = 0; ow < OW; ++ow) {
          const int64_t k = ix[ow] - base - 2 * ow;  // 0, 1, W or W + 1
          const T v = g[ow];
          r0[2 * ow] = k == 0 ? v : T(0);
          r0[2 * ow + 1] = k == 1 ? v : T(0);
          r1[2 * ow] = k == W ? v : T(0);
          r1[2 * ow + 1] = k == W + 1 ? v : T(0);
        }
        if (W > 2 * OW) r0[W - 1] = T(0), r1[W - 1] = T(0);
      }
      if (H > 2 * OH) std::fill(gp + (H - 1) * W, gp + H * W, T(0));
    }
  });
}

template <class T>
void avg_forward_ref(const TensorArg& xa, const TensorArg& oa, const Pool2dGeometry& g) {
  using A = acc_t<T>;
  const Planes d(xa, oa);
  const T* x = ptr<const T>(xa);
  T* out = ptr<T>(oa);
  const A inv = A(1) / static_cast<A>(g.kernel[0] * g.kernel[1]);
  parallel_for(d.planes, d.grain(d.OH * d.OW * g.kernel[0] * g.kernel[1]), [&](int64_t b, int64_t e) {
    for (int64_t pl = b; pl < e; ++pl) {
      const T* xp = x + pl * d.H * d.W;
      for_each_window(d, g, [&](int64_t po, int64_t h0, int64_t h1, int64_t w0, int64_t w1) {
        A s = 0;
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t w = w0; w < w1; ++w) s += static_cast<A>(xp[h * d.W + w]);
        out[pl * d.OH * d.OW + po] = static_cast<T>(s * inv);
      });
    }
  });
}

template <class T>
void avg_backward_ref(const TensorArg& ga, const TensorArg& gxa, const Pool2dGeometry& g) {
  using A = acc_t<T>;
  const Planes d(gxa, ga);
  const T* go = ptr<const T>(ga);
  T* gx = ptr<T>(gxa);
  const A inv = A(1) / static_cast<A>(g.kernel[0] * g.kernel[1]);
  const int64_t in_plane = d.H * d.W;
  parallel_for(d.planes, d.grain(d.OH * d.OW * g.kernel[0] * g.kernel[1]), [&](int64_t b, int64_t e) {
    std::vector<A> acc(static_cast<size_t>(in_plane));
    for (int64_t pl = b; pl < e; ++pl) {
      std::fill(acc.begin(), acc.end(), A(0));
      const T* gp = go + pl * d.OH * d.OW;
      for_each_window(d, g, [&](int64_t po, int64_t h0, int64_t h1, int64_t w0, int64_t w1) {
        const A v = static_cast<A>(gp[po]) * inv;
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t w = w0; w < w1; ++w) acc[h * d.W + w] += v;
      });
      T* xp = gx + pl * in_plane;
      for (int64_t i = 0; i < in_plane; ++i) xp[i] = static_cast<T>(acc[i]);
    }
  });
}

/// PyTorch's adaptive bin [floor(i*n/out), ceil((i+1)*n/out)), as every backend computes it.
using math::adaptive_bin;

template <class T>
void adaptive_forward_ref(const TensorArg& xa, const TensorArg& oa) {
  using A = acc_t<T>;
  const Planes d(xa, oa);
  const T* x = ptr<const T>(xa);
  T* out = ptr<T>(oa);
  parallel_for(d.planes, d.grain(d.H * d.W + d.OH * d.OW), [&](int64_t b, int64_t e) {
    for (int64_t pl = b; pl < e; ++pl) {
      const T* xp = x + pl * d.H * d.W;
      for (int64_t oh = 0; oh < d.OH; ++oh) {
        int64_t h0, h1;
        adaptive_bin(oh, d.H, d.OH, h0, h1);
        for (int64_t ow = 0; ow < d.OW; ++ow) {
          int64_t w0, w1;
          adaptive_bin(ow, d.W, d.OW, w0, w1);
          A s = 0;
          for (int64_t h = h0; h < h1; ++h)
            for (int64_t w = w0; w < w1; ++w) s += static_cast<A>(xp[h * d.W + w]);
          out[(pl * d.OH + oh) * d.OW + ow] = static_cast<T>(s / static_cast<A>((h1 - h0) * (w1 - w0)));
        }
      }
    }
  });
}

template <class T>
void adaptive_backward_ref(const TensorArg& ga, const TensorArg& gxa) {
  using A = acc_t<T>;
  const Planes d(gxa, ga);
  const T* go = ptr<const T>(ga);
  T* gx = ptr<T>(gxa);
  const int64_t in_plane = d.H * d.W;
  parallel_for(d.planes, d.grain(in_plane + d.OH * d.OW), [&](int64_t b, int64_t e) {
    std::vector<A> acc(static_cast<size_t>(in_plane));
    for (int64_t pl = b; pl < e; ++pl) {
      std::fill(acc.begin(), acc.end(), A(0));
      const T* gp = go + pl * d.OH * d.OW;
      for (int64_t oh = 0; oh < d.OH; ++oh) {
        int64_t h0, h1;
        adaptive_bin(oh, d.H, d.OH, h0, h1);
        for (int64_t ow = 0; ow < d.OW; ++ow) {
          int64_t w0, w1;
          adaptive_bin(ow, d.W, d.OW, w0, w1);
          const A v = static_cast<A>(gp[oh * d.OW + ow]) / static_cast<A>((h1 - h0) * (w1 - w0));
          for (int64_t h = h0; h < h1; ++h)
            for (int64_t w = w0; w < w1; ++w) acc[h * d.W + w] += v;
        }
      }
      T* xp = gx + pl * in_plane;
      for (int64_t i = 0; i < in_plane; ++i) xp[i] = static_cast<T>(acc[i]);
    }
  });
}

bool is_2x2_stride_2(const Pool2dGeometry& g) {
  return g.kernel == std::array<int64_t, 2>{2, 2} && g.stride == g.kernel && g.padding == std::array<int64_t, 2>{0, 0};
}

// ---- registered kernels: fast path first, reference otherwise ----------------------------

void max_pool2d_forward(const TensorArg& x, const TensorArg& out, const TensorArg* indices, const Pool2dGeometry& g) {
  if (!indices && fast_paths_enabled() && onednn::max_pool2d_forward_inference(x, out, g)) return;
  if (is_2x2_stride_2(g) && fast_paths_enabled()) {
    EMBER_DISPATCH_FLOATING(x.dtype, "max_pool2d", { max_forward_2x2<scalar_t>(x, out, indices); });
    return;
  }
  EMBER_DISPATCH_FLOATING(x.dtype, "max_pool2d", { max_forward_ref<scalar_t>(x, out, indices, g); });
}

void max_pool2d_backward(const TensorArg& go, const TensorArg& indices, const TensorArg& gx, const Pool2dGeometry& g) {
  if (is_2x2_stride_2(g) && fast_paths_enabled() && gx.dtype == DType::Float32) {
    max_backward_2x2<float>(go, indices, gx);
    return;
  }
  EMBER_DISPATCH_FLOATING(go.dtype, "max_pool2d backward", { max_backward_ref<scalar_t>(go, indices, gx); });
}

void avg_pool2d_forward(const TensorArg& x, const TensorArg& out, const Pool2dGeometry& g) {
  if (fast_paths_enabled() && onednn::avg_pool2d_forward(x, out, g)) return;
  EMBER_DISPATCH_FLOATING(x.dtype, "avg_pool2d", { avg_forward_ref<scalar_t>(x, out, g); });
}

void avg_pool2d_backward(const TensorArg& go, const TensorArg& gx, const Pool2dGeometry& g) {
  if (fast_paths_enabled() && onednn::avg_pool2d_backward(go, gx, g)) return;
  EMBER_DISPATCH_FLOATING(go.dtype, "avg_pool2d backward", { avg_backward_ref<scalar_t>(go, gx, g); });
}

void adaptive_avg_pool2d_forward(const TensorArg& x, const TensorArg& out) {
  EMBER_DISPATCH_FLOATING(x.dtype, "adaptive_avg_pool2d", { adaptive_forward_ref<scalar_t>(x, out); });
}

void adaptive_avg_pool2d_backward(const TensorArg& go, const TensorArg& gx) {
  EMBER_DISPATCH_FLOATING(go.dtype, "adaptive_avg_pool2d backward", { adaptive_backward_ref<scalar_t>(go, gx); });
}

}  // namespace

void register_pool_kernels(KernelTable& t) {
  t.set(kernels::kMaxPool2dForward, max_pool2d_forward);
  t.set(kernels::kMaxPool2dBackward, max_pool2d_backward);
  t.set(kernels::kAvgPool2dForward, avg_pool2d_forward);
  t.set(kernels::kAvgPool2dBackward, avg_pool2d_backward);
  t.set(kernels::kAdaptiveAvgPool2dForward, adaptive_avg_pool2d_forward);
  t.set(kernels::kAdaptiveAvgPool2dBackward, adaptive_avg_pool2d_backward);
}

}  // namespace ember::cpu
