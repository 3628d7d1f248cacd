// CPU conv2d kernels: direct-convolution reference loops (threaded over batch x channels)
// and the dispatch to the oneDNN fast path when fast paths are on. Activations may be NCHW or
// channels-last (the loops index them through their strides; weights are contiguous).
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/dispatch.h"
#include "backends/cpu/fast_path.h"
#include "backends/cpu/onednn/conv.h"
#include "backends/cpu/parallel.h"
#include "backends/cpu/strided.h"
#include "core/kernels/conv.h"

namespace ember::cpu {
namespace {

using kernels::Conv2dGeometry;

/// Sizes of one convolution, read from the operands.
struct Dims {
  int64_t N, C, H, W, O, Cg, KH, KW, OH, OW, G, Og;
  Dims(const TensorArg& x, const TensorArg& w, const TensorArg& out, int64_t groups)
      : N(x.sizes[0]), C(x.sizes[1]), H(x.sizes[2]), W(x.sizes[3]), O(w.sizes[0]), Cg(w.sizes[1]),
        KH(w.sizes[2]), KW(w.sizes[3]), OH(out.sizes[2]), OW(out.sizes[3]), G(groups), Og(O / groups) {}
};

/// Element strides of an activation (N,C,H,W): NCHW or channels-last.
struct Strides {
  int64_t n, c, h, w;
  explicit Strides(const TensorArg& a) : n(a.strides[0]), c(a.strides[1]), h(a.strides[2]), w(a.strides[3]) {}
};

/// Output columns [lo, hi) whose input column ow*s + off lies in [0, n).
inline void valid_range(int64_t off, int64_t s, int64_t n, int64_t n_out, int64_t& lo, int64_t& hi) {
  lo = off >= 0 ? 0 : (-off + s - 1) / s;
  hi = n - 1 - off < 0 ? 0 : std::min(n_out, (n - 1 - off) / s + 1);
  if (hi < lo) hi = lo;
}

/// Calls f(oh, ih, ow_lo, ow_hi, iw0) for every output row whose input row is in range, where
/// input column = iw0 + ow * stride[1] for ow in [ow_lo, ow_hi).
template <class F>
inline void for_each_tap_row(const Dims& d, const Conv2dGeometry& g, int64_t kh, int64_t kw, F&& f) {
  const int64_t hoff = kh * g.dilation[0] - g.padding[0], woff = kw * g.dilation[1] - g.padding[1];
  int64_t oh_lo, oh_hi, ow_lo, ow_hi;
  valid_range(hoff, g.stride[0], d.H, d.OH, oh_lo, oh_hi);
  valid_range(woff, g.stride[1], d.W, d.OW, ow_lo, ow_hi);
  for (int64_t oh = oh_lo; oh < oh_hi; ++oh) f(oh, oh * g.stride[0] + hoff, ow_lo, ow_hi, woff);
}

template <class T>
void forward_ref(const TensorArg& xa, const TensorArg& wa, const TensorArg* ba, const TensorArg& oa,
                 const Conv2dGeometry& g) {
  using A = acc_t<T>;
  const Dims d(xa, wa, oa, g.groups);
  const T *x = ptr<const T>(xa), *w = ptr<const T>(wa), *b = ba ? ptr<const T>(*ba) : nullptr;
  T* out = ptr<T>(oa);
  const Strides xs(xa), os(oa);
  const int64_t plane = d.OH * d.OW, sw = g.stride[1] * xs.w;
  const int64_t work = std::max<int64_t>(1, d.Cg * d.KH * d.KW * plane);
  parallel_for(d.N * d.O, std::max<int64_t>(1, kGrainSize / work), [&](int64_t begin, int64_t end) {
    std::vector<A> acc(static_cast<size_t>(plane));
    for (int64_t t = begin; t < end; ++t) {
      const int64_t n = t / d.O, o = t % d.O, grp = o / d.Og;
      std::fill(acc.begin(), acc.end(), b ? static_cast<A>(b[o]) : A(0));
      for (int64_t c = 0; c < d.Cg; ++c) {
        const T* xp = x + n * xs.n + (grp * d.Cg + c) * xs.c;
        const T* wp = w + ((o * d.Cg + c) * d.KH) * d.KW;
        for (int64_t kh = 0; kh < d.KH; ++kh)
          for (int64_t kw = 0; kw < d.KW; ++kw) {
            const A wv = static_cast<A>(wp[kh * d.KW + kw]);
            for_each_tap_row(d, g, kh, kw, [&](int64_t oh, int64_t ih, int64_t lo, int64_t hi, int64_t woff) {
              const T* xr = xp + ih * xs.h + woff * xs.w;
              A* ar = acc.data() + oh * d.OW;
              for (int64_t ow = lo; ow < hi; ++ow) ar[ow] += wv * static_cast<A>(xr[ow * sw]);
            });
          }
      }
      T* op = out + n * os.n + o * os.c;
      for (int64_t oh = 0; oh < d.OH; ++oh)
        for (int64_t ow = 0; ow < d.OW; ++ow) op[oh * os.h + ow * os.w] = static_cast<T>(acc[oh * d.OW + ow]);
    }
  });
}

template <class T>
void backward_input_ref(const TensorArg& ga, const TensorArg& wa, const TensorArg& gxa, const Conv2dGeometry& g) {
  using A = acc_t<T>;
  const Dims d(gxa, wa, ga, g.groups);
  const T *go = ptr<const T>(ga), *w = ptr<const T>(wa);
  T* gx = ptr<T>(gxa);
  const Strides gs(ga), xs(gxa);
  const int64_t plane = d.OH * d.OW, in_plane = d.H * d.W, sw = g.stride[1];
  const int64_t work = std::max<int64_t>(1, d.Og * d.KH * d.KW * plane);
  parallel_for(d.N * d.C, std::max<int64_t>(1, kGrainSize / work), [&](int64_t begin, int64_t end) {
    std::vector<A> acc(static_cast<size_t>(in_plane));
    for (int64_t t = begin; t < end; ++t) {
      const int64_t n = t / d.C, c = t % d.C, grp = c / d.Cg, cc = c % d.Cg;
      std::fill(acc.begin(), acc.end(), A(0));
      for (int64_t o = grp * d.Og; o < (grp + 1) * d.Og; ++o) {
        const T* gp = go + n * gs.n + o * gs.c;
        const T* wp = w + ((o * d.Cg + cc) * d.KH) * d.KW;
        for (int64_t kh = 0; kh < d.KH; ++kh)
          for (int64_t kw = 0; kw < d.KW; ++kw) {
            const A wv = static_cast<A>(wp[kh * d.KW + kw]);
            for_each_tap_row(d, g, kh, kw, [&](int64_t oh, int64_t ih, int64_t lo, int64_t hi, int64_t woff) {
              A* ar = acc.data() + ih * d.W + woff;
              const T* gr = gp + oh * gs.h;
              for (int64_t ow = lo; ow < hi; ++ow) ar[ow * sw] += wv * static_cast<A>(gr[ow * gs.w]);
            });
          }
      }
      T* xp = gx + n * xs.n + c * xs.c;
      for (int64_t ih = 0; ih < d.H; ++ih)
        for (int64_t iw = 0; iw < d.W; ++iw) xp[ih * xs.h + iw * xs.w] = static_cast<T>(acc[ih * d.W + iw]);
    }
  });
}

template <class T>
void backward_weight_ref(const TensorArg& ga, const TensorArg& xa, const TensorArg& gwa, const TensorArg* gba,
                         const Conv2dGeometry& g) {
  using A = acc_t<T>;
  const Dims d(xa, gwa, ga, g.groups);
  const T *go = ptr<const T>(ga), *x = ptr<const T>(xa);
  T *gw = ptr<T>(gwa), *gb = gba ? ptr<T>(*gba) : nullptr;
  const Strides gs(ga), xs(xa);
  const int64_t sw = g.stride[1] * xs.w, taps = d.KH * d.KW;
  const int64_t work = std::max<int64_t>(1, d.N * taps * d.OH * d.OW);
  // One task per (o, c): all taps of that weight slice, summed over the batch.
  parallel_for(d.O * d.Cg, std::max<int64_t>(1, kGrainSize / work), [&](int64_t begin, int64_t end) {
    std::vector<A> acc(static_cast<size_t>(taps));
    for (int64_t t = begin; t < end; ++t) {
      const int64_t o = t / d.Cg, c = t % d.Cg, grp = o / d.Og;
      std::fill(acc.begin(), acc.end(), A(0));
      A bsum = 0;
      for (int64_t n = 0; n < d.N; ++n) {
        const T* gp = go + n * gs.n + o * gs.c;
        const T* xp = x + n * xs.n + (grp * d.Cg + c) * xs.c;
        if (gb && c == 0)
          for (int64_t oh = 0; oh < d.OH; ++oh)
            for (int64_t ow = 0; ow < d.OW; ++ow) bsum += static_cast<A>(gp[oh * gs.h + ow * gs.w]);
        for (int64_t kh = 0; kh < d.KH; ++kh)
          for (int64_t kw = 0; kw < d.KW; ++kw) {
            A s = 0;
            for_each_tap_row(d, g, kh, kw, [&](int64_t oh, int64_t ih, int64_t lo, int64_t hi, int64_t woff) {
              const T* xr = xp + ih * xs.h + woff * xs.w;
              const T* gr = gp + oh * gs.h;
              for (int64_t ow = lo; ow < hi; ++ow) s += static_cast<A>(gr[ow * gs.w]) * static_cast<A>(xr[ow * sw]);
            });
            acc[kh * d.KW + kw] += s;
          }
      }
      T* wp = gw + (o * d.Cg + c) * taps;
      for (int64_t i = 0; i < taps; ++i) wp[i] = static_cast<T>(acc[i]);
      if (gb && c == 0) gb[o] = static_cast<T>(bsum);
    }
  });
}

void conv2d_forward(const TensorArg& x, const TensorArg& w, const TensorArg* b, const TensorArg& out,
                    const Conv2dGeometry& g) {
  if (fast_paths_enabled() && onednn::conv2d_forward(x, w, b, out, g)) return;
  EMBER_DISPATCH_FLOATING(x.dtype, "conv2d", { forward_ref<scalar_t>(x, w, b, out, g); });
}

void conv2d_backward_input(const TensorArg& go, const TensorArg& w, const TensorArg& gx, const Conv2dGeometry& g) {
  if (fast_paths_enabled() && onednn::conv2d_backward_input(go, w, gx, g)) return;
  EMBER_DISPATCH_FLOATING(go.dtype, "conv2d backward", { backward_input_ref<scalar_t>(go, w, gx, g); });
}

void conv2d_backward_weight(const TensorArg& go, const TensorArg& x, const TensorArg& gw, const TensorArg* gb,
                            const Conv2dGeometry& g) {
  if (fast_paths_enabled() && onednn::conv2d_backward_weight(go, x, gw, gb, g)) return;
  EMBER_DISPATCH_FLOATING(go.dtype, "conv2d backward", { backward_weight_ref<scalar_t>(go, x, gw, gb, g); });
}

}  // namespace

void conv2d_backward(const TensorArg& go, const TensorArg& x, const TensorArg& w, const TensorArg& gx,
                     const TensorArg& gw, const TensorArg* gb, const Conv2dGeometry& g) {
  if (fast_paths_enabled() && onednn::conv2d_backward(go, x, w, &gx, &gw, gb, g)) return;
  conv2d_backward_input(go, w, gx, g);
  conv2d_backward_weight(go, x, gw, gb, g);
}

void register_conv_kernels(KernelTable& t) {
  t.set(kernels::kConv2dBackward, conv2d_backward);
  t.set(kernels::kConv2dForward, conv2d_forward);
  t.set(kernels::kConv2dBackwardInput, conv2d_backward_input);
  t.set(kernels::kConv2dBackwardWeight, conv2d_backward_weight);
}

}  // namespace ember::cpu
