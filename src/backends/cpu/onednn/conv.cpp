// oneDNN convolution primitives for conv2d (forward, backward data, backward weights) on plain
// NCHW / OIHW (GOIHW for groups) buffers. Primitives are cached per kind, dtype, shapes and
// hyper-parameters, so a training loop creates each one once; a case oneDNN cannot take is
// cached too and left to the reference loops.
#include "backends/cpu/onednn/conv.h"

#include <atomic>
#include <map>
#include <mutex>
#include <oneapi/dnnl/dnnl_version.h>
#include <vector>

#include "backends/cpu/onednn/onednn_common.h"

namespace ember::cpu::onednn {
namespace {

using kernels::Conv2dGeometry;
using tag = dnnl::memory::format_tag;

std::atomic<int64_t> g_calls{0}, g_created{0};

enum class Kind : int64_t { Forward, BackwardData, BackwardWeights };

/// Plain memory descriptors and oneDNN hyper-parameters of one convolution.
struct ConvDescs {
  dnnl::memory::desc src, wei, bias, dst;
  bool with_bias = false;
  dnnl::memory::dims strides, dilates, pad_l, pad_r;
};

ConvDescs describe(const TensorArg& x, const TensorArg& w, const TensorArg& out, bool with_bias,
                   const Conv2dGeometry& g, dnnl::memory::data_type dt) {
  ConvDescs d;
  const int64_t O = w.sizes[0], G = g.groups;
  d.src = dnnl::memory::desc({x.sizes[0], x.sizes[1], x.sizes[2], x.sizes[3]}, dt, tag::nchw);
  d.dst = dnnl::memory::desc({out.sizes[0], out.sizes[1], out.sizes[2], out.sizes[3]}, dt, tag::nchw);
  if (G == 1) d.wei = dnnl::memory::desc({O, w.sizes[1], w.sizes[2], w.sizes[3]}, dt, tag::oihw);
  else d.wei = dnnl::memory::desc({G, O / G, w.sizes[1], w.sizes[2], w.sizes[3]}, dt, tag::goihw);
  d.with_bias = with_bias;
  if (with_bias) d.bias = dnnl::memory::desc({O}, dt, tag::a);
  d.strides = {g.stride[0], g.stride[1]};
  d.dilates = {g.dilation[0] - 1, g.dilation[1] - 1};
  d.pad_l = {g.padding[0], g.padding[1]};
  d.pad_r.resize(2);
  for (int i = 0; i < 2; ++i)  // what makes oneDNN's output size equal ours (may be negative)
    d.pad_r[i] = (out.sizes[2 + i] - 1) * g.stride[i] + (w.sizes[2 + i] - 1) * g.dilation[i] + 1 - x.sizes[2 + i] -
                 g.padding[i];
  return d;
}

const auto kAlgo = dnnl::algorithm::convolution_direct;

dnnl::convolution_forward::primitive_desc forward_pd(const ConvDescs& d) {
  const auto prop = dnnl::prop_kind::forward_training;
#if DNNL_VERSION_MAJOR >= 3
  using PD = dnnl::convolution_forward::primitive_desc;
  if (d.with_bias)
    return PD(engine(), prop, kAlgo, d.src, d.wei, d.bias, d.dst, d.strides, d.dilates, d.pad_l, d.pad_r);
  return PD(engine(), prop, kAlgo, d.src, d.wei, d.dst, d.strides, d.dilates, d.pad_l, d.pad_r);
#else
  if (d.with_bias)
    return {{prop, kAlgo, d.src, d.wei, d.bias, d.dst, d.strides, d.dilates, d.pad_l, d.pad_r}, engine()};
  return {{prop, kAlgo, d.src, d.wei, d.dst, d.strides, d.dilates, d.pad_l, d.pad_r}, engine()};
#endif
}

dnnl::convolution_backward_data::primitive_desc backward_data_pd(const ConvDescs& d) {
  auto hint = forward_pd(d);
#if DNNL_VERSION_MAJOR >= 3
  return dnnl::convolution_backward_data::primitive_desc(engine(), kAlgo, d.src, d.wei, d.dst, d.strides, d.dilates,
                                                         d.pad_l, d.pad_r, hint);
#else
  return {{kAlgo, d.src, d.wei, d.dst, d.strides, d.dilates, d.pad_l, d.pad_r}, engine(), hint};
#endif
}

dnnl::convolution_backward_weights::primitive_desc backward_weights_pd(const ConvDescs& d) {
  auto hint = forward_pd(d);
#if DNNL_VERSION_MAJOR >= 3
  using PD = dnnl::convolution_backward_weights::primitive_desc;
  if (d.with_bias)
    return PD(engine(), kAlgo, d.src, d.wei, d.bias, d.dst, d.strides, d.dilates, d.pad_l, d.pad_r, hint);
  return PD(engine(), kAlgo, d.src, d.wei, d.dst, d.strides, d.dilates, d.pad_l, d.pad_r, hint);
#else
  if (d.with_bias)
    return {{kAlgo, d.src, d.wei, d.bias, d.dst, d.strides, d.dilates, d.pad_l, d.pad_r}, engine(), hint};
  return {{kAlgo, d.src, d.wei, d.dst, d.strides, d.dilates, d.pad_l, d.pad_r}, engine(), hint};
#endif
}

/// A cached primitive with its descriptors; ok == false when oneDNN cannot take the case.
struct Entry {
  bool ok = false;
  dnnl::primitive prim;
  ConvDescs descs;
};

/// The primitive of this kind for these operands, created on first use.
const Entry& lookup(Kind kind, const TensorArg& x, const TensorArg& w, const TensorArg& out, bool with_bias,
                    const Conv2dGeometry& g) {
  static std::mutex mu;
  static std::map<std::vector<int64_t>, Entry> cache;
  std::vector<int64_t> key{static_cast<int64_t>(kind), static_cast<int64_t>(x.dtype), with_bias, g.groups,
                           g.stride[0], g.stride[1], g.padding[0], g.padding[1], g.dilation[0], g.dilation[1]};
  for (const Shape* s : {&x.sizes, &w.sizes, &out.sizes}) key.insert(key.end(), s->begin(), s->end());
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  Entry e;
  if (auto dt = data_type(x.dtype)) {
    try {
      e.descs = describe(x, w, out, with_bias, g, *dt);
      switch (kind) {
        case Kind::Forward: {
          auto pd = forward_pd(e.descs);
          if (!is_reference_impl(pd)) e.prim = dnnl::convolution_forward(pd), e.ok = true;
          break;
        }
        case Kind::BackwardData: {
          auto pd = backward_data_pd(e.descs);
          if (!is_reference_impl(pd)) e.prim = dnnl::convolution_backward_data(pd), e.ok = true;
          break;
        }
        case Kind::BackwardWeights: {
          auto pd = backward_weights_pd(e.descs);
          if (!is_reference_impl(pd)) e.prim = dnnl::convolution_backward_weights(pd), e.ok = true;
          break;
        }
      }
      if (e.ok) ++g_created;
    } catch (const dnnl::error&) {
      e.ok = false;  // unsupported here (dtype/ISA/shape): the reference loops take it
    }
  }
  return cache.emplace(std::move(key), std::move(e)).first->second;
}

void run(const Entry& e, std::unordered_map<int, dnnl::memory> args) {
  dnnl::stream& s = stream();
  e.prim.execute(s, args);
  s.wait();
  ++g_calls;
}

}  // namespace

bool conv2d_forward(const TensorArg& x, const TensorArg& w, const TensorArg* bias, const TensorArg& out,
                    const Conv2dGeometry& g) {
  const Entry& e = lookup(Kind::Forward, x, w, out, bias != nullptr, g);
  if (!e.ok) return false;
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, memory_of(x, e.descs.src)},
                                             {DNNL_ARG_WEIGHTS, memory_of(w, e.descs.wei)},
                                             {DNNL_ARG_DST, memory_of(out, e.descs.dst)}};
  if (bias) args.emplace(DNNL_ARG_BIAS, memory_of(*bias, e.descs.bias));
  run(e, std::move(args));
  return true;
}

bool conv2d_backward_input(const TensorArg& grad_out, const TensorArg& w, const TensorArg& grad_x,
                           const Conv2dGeometry& g) {
  const Entry& e = lookup(Kind::BackwardData, grad_x, w, grad_out, false, g);
  if (!e.ok) return false;
  run(e, {{DNNL_ARG_DIFF_DST, memory_of(grad_out, e.descs.dst)},
          {DNNL_ARG_WEIGHTS, memory_of(w, e.descs.wei)},
          {DNNL_ARG_DIFF_SRC, memory_of(grad_x, e.descs.src)}});
  return true;
}

bool conv2d_backward_weight(const TensorArg& grad_out, const TensorArg& x, const TensorArg& grad_w,
                            const TensorArg* grad_bias, const Conv2dGeometry& g) {
  const Entry& e = lookup(Kind::BackwardWeights, x, grad_w, grad_out, grad_bias != nullptr, g);
  if (!e.ok) return false;
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_DIFF_DST, memory_of(grad_out, e.descs.dst)},
                                             {DNNL_ARG_SRC, memory_of(x, e.descs.src)},
                                             {DNNL_ARG_DIFF_WEIGHTS, memory_of(grad_w, e.descs.wei)}};
  if (grad_bias) args.emplace(DNNL_ARG_DIFF_BIAS, memory_of(*grad_bias, e.descs.bias));
  run(e, std::move(args));
  return true;
}

int64_t conv2d_calls() { return g_calls.load(); }
int64_t conv2d_primitives_created() { return g_created.load(); }

}  // namespace ember::cpu::onednn
