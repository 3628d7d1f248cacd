// CPU pooling kernels: reference loops (one (H,W) plane per task) for max, average and
// adaptive average pooling and their backwards, with oneDNN fast paths where they apply.
#include <cmath>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/dispatch.h"
#include "backends/cpu/fast_path.h"
#include "backends/cpu/onednn/pool.h"
#include "backends/cpu/parallel.h"
#include "backends/cpu/strided.h"
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
      for (int64_t oh = 0; oh < d.OH; ++oh) {
        int64_t h0, h1;
        window(oh, g.kernel[0], g.stride[0], g.padding[0], d.H, h0, h1);
        for (int64_t ow = 0; ow < d.OW; ++ow) {
          int64_t w0, w1;
          window(ow, g.kernel[1], g.stride[1], g.padding[1], d.W, w0, w1);
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
          const int64_t o = (pl * d.OH + oh) * d.OW + ow;
          out[o] = static_cast<T>(best);
          if (idx) idx[o] = best_i;
        }
      }
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
    std::vector<A> acc(static_cast<size_t>(in_plane));
    for (int64_t pl = b; pl < e; ++pl) {
      std::fill(acc.begin(), acc.end(), A(0));
      for (int64_t o = pl * out_plane; o < (pl + 1) * out_plane; ++o) acc[idx[o]] += static_cast<A>(go[o]);
      T* gp = gx + pl * in_plane;
      for (int64_t i = 0; i < in_plane; ++i) gp[i] = static_cast<T>(acc[i]);
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
      for (int64_t oh = 0; oh < d.OH; ++oh) {
        int64_t h0, h1;
        window(oh, g.kernel[0], g.stride[0], g.padding[0], d.H, h0, h1);
        for (int64_t ow = 0; ow < d.OW; ++ow) {
          int64_t w0, w1;
          window(ow, g.kernel[1], g.stride[1], g.padding[1], d.W, w0, w1);
          A s = 0;
          for (int64_t h = h0; h < h1; ++h)
            for (int64_t w = w0; w < w1; ++w) s += static_cast<A>(xp[h * d.W + w]);
          out[(pl * d.OH + oh) * d.OW + ow] = static_cast<T>(s * inv);
        }
      }
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
      for (int64_t oh = 0; oh < d.OH; ++oh) {
        int64_t h0, h1;
        window(oh, g.kernel[0], g.stride[0], g.padding[0], d.H, h0, h1);
        for (int64_t ow = 0; ow < d.OW; ++ow) {
          int64_t w0, w1;
          window(ow, g.kernel[1], g.stride[1], g.padding[1], d.W, w0, w1);
          const A v = static_cast<A>(gp[oh * d.OW + ow]) * inv;
          for (int64_t h = h0; h < h1; ++h)
            for (int64_t w = w0; w < w1; ++w) acc[h * d.W + w] += v;
        }
      }
      T* xp = gx + pl * in_plane;
      for (int64_t i = 0; i < in_plane; ++i) xp[i] = static_cast<T>(acc[i]);
    }
  });
}

/// PyTorch's adaptive bin [floor(i*n/out), ceil((i+1)*n/out)).
inline void adaptive_bin(int64_t i, int64_t n, int64_t out, int64_t& lo, int64_t& hi) {
  lo = (i * n) / out;
  hi = ((i + 1) * n + out - 1) / out;
}

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

// ---- registered kernels: fast path first, reference otherwise ----------------------------

void max_pool2d_forward(const TensorArg& x, const TensorArg& out, const TensorArg* indices, const Pool2dGeometry& g) {
  if (!indices && fast_paths_enabled() && onednn::max_pool2d_forward_inference(x, out, g)) return;
  EMBER_DISPATCH_FLOATING(x.dtype, "max_pool2d", { max_forward_ref<scalar_t>(x, out, indices, g); });
}

void max_pool2d_backward(const TensorArg& go, const TensorArg& indices, const TensorArg& gx) {
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
  t.set<kernels::MaxPool2dForwardKernel>(kernels::kMaxPool2dForward, max_pool2d_forward);
  t.set<kernels::MaxPool2dBackwardKernel>(kernels::kMaxPool2dBackward, max_pool2d_backward);
  t.set<kernels::AvgPool2dForwardKernel>(kernels::kAvgPool2dForward, avg_pool2d_forward);
  t.set<kernels::AvgPool2dBackwardKernel>(kernels::kAvgPool2dBackward, avg_pool2d_backward);
  t.set<kernels::AdaptiveAvgPool2dForwardKernel>(kernels::kAdaptiveAvgPool2dForward, adaptive_avg_pool2d_forward);
  t.set<kernels::AdaptiveAvgPool2dBackwardKernel>(kernels::kAdaptiveAvgPool2dBackward, adaptive_avg_pool2d_backward);
}

}  // namespace ember::cpu
