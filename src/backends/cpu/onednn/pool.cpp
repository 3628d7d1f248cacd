// oneDNN pooling primitives on plain NCHW buffers: max (inference forward) and average with
// padding counted (forward and backward). Primitives are cached per kind, dtype, shapes and
// window; a case oneDNN cannot take is cached too and left to the reference loops.
#include "backends/cpu/onednn/pool.h"

#include <atomic>
#include <map>
#include <mutex>
#include <oneapi/dnnl/dnnl_version.h>
#include <vector>

#include "backends/cpu/onednn/onednn_common.h"

namespace ember::cpu::onednn {
namespace {

using kernels::Pool2dGeometry;
using tag = dnnl::memory::format_tag;

std::atomic<int64_t> g_calls{0};

enum class Kind : int64_t { MaxInference, AvgForward, AvgBackward };

struct PoolDescs {
  dnnl::memory::desc src, dst;
  dnnl::memory::dims strides, kernel, pad_l, pad_r;
};

PoolDescs describe(const TensorArg& x, const TensorArg& out, const Pool2dGeometry& g, dnnl::memory::data_type dt) {
  PoolDescs d;
  d.src = dnnl::memory::desc({x.sizes[0], x.sizes[1], x.sizes[2], x.sizes[3]}, dt, tag::nchw);
  d.dst = dnnl::memory::desc({out.sizes[0], out.sizes[1], out.sizes[2], out.sizes[3]}, dt, tag::nchw);
  d.strides = {g.stride[0], g.stride[1]};
  d.kernel = {g.kernel[0], g.kernel[1]};
  d.pad_l = {g.padding[0], g.padding[1]};
  d.pad_r.resize(2);
  for (int i = 0; i < 2; ++i)  // what makes oneDNN's output size equal ours (may be negative)
    d.pad_r[i] = (out.sizes[2 + i] - 1) * g.stride[i] + g.kernel[i] - x.sizes[2 + i] - g.padding[i];
  return d;
}

dnnl::pooling_forward::primitive_desc forward_pd(const PoolDescs& d, dnnl::prop_kind prop, dnnl::algorithm alg) {
#if DNNL_VERSION_MAJOR >= 3
  return dnnl::pooling_forward::primitive_desc(engine(), prop, alg, d.src, d.dst, d.strides, d.kernel,
                                               dnnl::memory::dims{0, 0}, d.pad_l, d.pad_r);
#else
  return {{prop, alg, d.src, d.dst, d.strides, d.kernel, d.pad_l, d.pad_r}, engine()};
#endif
}

dnnl::pooling_backward::primitive_desc backward_pd(const PoolDescs& d, dnnl::algorithm alg) {
  auto hint = forward_pd(d, dnnl::prop_kind::forward_training, alg);
#if DNNL_VERSION_MAJOR >= 3
  return dnnl::pooling_backward::primitive_desc(engine(), alg, d.src, d.dst, d.strides, d.kernel,
                                                dnnl::memory::dims{0, 0}, d.pad_l, d.pad_r, hint);
#else
  return {{alg, d.src, d.dst, d.strides, d.kernel, d.pad_l, d.pad_r}, engine(), hint};
#endif
}

struct Entry {
  bool ok = false;
  dnnl::primitive prim;
  PoolDescs descs;
};

/// The primitive of this kind for x (N,C,H,W) -> out (N,C,OH,OW), created on first use.
const Entry& lookup(Kind kind, const TensorArg& x, const TensorArg& out, const Pool2dGeometry& g) {
  static std::mutex mu;
  static std::map<std::vector<int64_t>, Entry> cache;
  std::vector<int64_t> key{static_cast<int64_t>(kind), static_cast<int64_t>(x.dtype), g.kernel[0], g.kernel[1],
                           g.stride[0], g.stride[1], g.padding[0], g.padding[1]};
  for (const Shape* s : {&x.sizes, &out.sizes}) key.insert(key.end(), s->begin(), s->end());
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  Entry e;
  if (auto dt = data_type(x.dtype)) {
    try {
      e.descs = describe(x, out, g, *dt);
      const auto avg = dnnl::algorithm::pooling_avg_include_padding;
      if (kind == Kind::AvgBackward) {
        auto pd = backward_pd(e.descs, avg);
        if (!is_reference_impl(pd)) e.prim = dnnl::pooling_backward(pd), e.ok = true;
      } else {
        auto pd = kind == Kind::MaxInference
                      ? forward_pd(e.descs, dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_max)
                      : forward_pd(e.descs, dnnl::prop_kind::forward_training, avg);
        if (!is_reference_impl(pd)) e.prim = dnnl::pooling_forward(pd), e.ok = true;
      }
    } catch (const dnnl::error&) {
      e.ok = false;  // unsupported here: the reference loops take it
    }
  }
  return cache.emplace(std::move(key), std::move(e)).first->second;
}

bool run(Kind kind, const TensorArg& x, const TensorArg& out, const Pool2dGeometry& g, int src_arg, int dst_arg) {
  const Entry& e = lookup(kind, x, out, g);
  if (!e.ok) return false;
  dnnl::stream& s = stream();
  e.prim.execute(s, {{src_arg, memory_of(x, e.descs.src)}, {dst_arg, memory_of(out, e.descs.dst)}});
  s.wait();
  ++g_calls;
  return true;
}

}  // namespace

bool max_pool2d_forward_inference(const TensorArg& x, const TensorArg& out, const Pool2dGeometry& g) {
  return run(Kind::MaxInference, x, out, g, DNNL_ARG_SRC, DNNL_ARG_DST);
}

bool avg_pool2d_forward(const TensorArg& x, const TensorArg& out, const Pool2dGeometry& g) {
  return run(Kind::AvgForward, x, out, g, DNNL_ARG_SRC, DNNL_ARG_DST);
}

bool avg_pool2d_backward(const TensorArg& grad_out, const TensorArg& grad_x, const Pool2dGeometry& g) {
  return run(Kind::AvgBackward, grad_x, grad_out, g, DNNL_ARG_DIFF_SRC, DNNL_ARG_DIFF_DST);
}

int64_t pool2d_calls() { return g_calls.load(); }

}  // namespace ember::cpu::onednn
