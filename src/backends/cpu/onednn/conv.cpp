// oneDNN convolution primitives for conv2d (forward, backward data, backward weights). The
// caller's weights are plain OIHW (GOIHW for groups) and its activations NCHW or channels-last
// (NHWC). With NCHW activations each primitive is created with format_tag::any so oneDNN picks
// its fast blocked layouts (nChw16c, OIhw16i16o, ...); with channels-last ones it runs on NHWC
// directly (brgconv: no activation reorders). Weights use format_tag::any either way, and the
// arguments are staged through cached scratch buffers and reorders (StagedArg). Primitives,
// memory objects and reorders are cached per kind, dtype, shapes and hyper-parameters, so a
// training loop creates each once; a case oneDNN cannot take is cached too and left to the
// reference loops.
#include "backends/cpu/onednn/conv.h"

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <oneapi/dnnl/dnnl_version.h>
#include <vector>

#include "backends/cpu/onednn/onednn_common.h"
#include "backends/cpu/onednn/staging.h"
#include "core/memory_format.h"

namespace ember::cpu::onednn {
namespace {

using kernels::Conv2dGeometry;
using tag = dnnl::memory::format_tag;

std::atomic<int64_t> g_calls{0}, g_created{0}, g_shared{0};

enum class Kind : int64_t { Forward, BackwardData, BackwardWeights };

/// Memory descriptors (plain, and format_tag::any for the primitive to choose) and oneDNN
/// hyper-parameters of one convolution.
struct ConvDescs {
  dnnl::memory::desc src, wei, bias, dst;
  dnnl::memory::desc any_src, any_wei, any_dst;
  bool with_bias = false;
  dnnl::memory::dims strides, dilates, pad_l, pad_r;
};

/// Strictly channels-last: NHWC and not also plain NCHW (as a one-channel tensor is both).
bool strictly_channels_last(const TensorArg& a) { return is_channels_last(a) && !a.contiguous(); }

/// The layouts of a call's activations (x and out: the primitive's src and dst), part of the key.
/// When either is strictly channels-last the primitive itself runs on NHWC (oneDNN's brgconv);
/// otherwise on the blocked layouts it picks. An activation that is both NCHW and NHWC is
/// described as whichever the primitive uses, so it needs no reorder.
struct Layouts {
  bool nhwc_prim, x_nhwc, out_nhwc;
  Layouts(const TensorArg& x, const TensorArg& out)
      : nhwc_prim(strictly_channels_last(x) || strictly_channels_last(out)),
        x_nhwc(nhwc_prim ? is_channels_last(x) : strictly_channels_last(x)),
        out_nhwc(nhwc_prim ? is_channels_last(out) : strictly_channels_last(out)) {}
};

ConvDescs describe(const TensorArg& x, const TensorArg& w, const TensorArg& out, bool with_bias,
                   const Conv2dGeometry& g, dnnl::memory::data_type dt) {
  ConvDescs d;
  const Layouts l(x, out);
  const int64_t O = w.sizes[0], G = g.groups;
  d.src = dnnl::memory::desc({x.sizes[0], x.sizes[1], x.sizes[2], x.sizes[3]}, dt, l.x_nhwc ? tag::nhwc : tag::nchw);
  d.dst = dnnl::memory::desc({out.sizes[0], out.sizes[1], out.sizes[2], out.sizes[3]}, dt,
                             l.out_nhwc ? tag::nhwc : tag::nchw);
  if (G == 1) d.wei = dnnl::memory::desc({O, w.sizes[1], w.sizes[2], w.sizes[3]}, dt, tag::oihw);
  else d.wei = dnnl::memory::desc({G, O / G, w.sizes[1], w.sizes[2], w.sizes[3]}, dt, tag::goihw);
  const tag act = l.nhwc_prim ? tag::nhwc : tag::any;
  d.any_src = dnnl::memory::desc(d.src.dims(), dt, act);
  d.any_wei = dnnl::memory::desc(d.wei.dims(), dt, tag::any);
  d.any_dst = dnnl::memory::desc(d.dst.dims(), dt, act);
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
    return PD(engine(), prop, kAlgo, d.any_src, d.any_wei, d.bias, d.any_dst, d.strides, d.dilates, d.pad_l, d.pad_r);
  return PD(engine(), prop, kAlgo, d.any_src, d.any_wei, d.any_dst, d.strides, d.dilates, d.pad_l, d.pad_r);
#else
  if (d.with_bias)
    return {{prop, kAlgo, d.any_src, d.any_wei, d.bias, d.any_dst, d.strides, d.dilates, d.pad_l, d.pad_r}, engine()};
  return {{prop, kAlgo, d.any_src, d.any_wei, d.any_dst, d.strides, d.dilates, d.pad_l, d.pad_r}, engine()};
#endif
}

dnnl::convolution_backward_data::primitive_desc backward_data_pd(const ConvDescs& d) {
  auto hint = forward_pd(d);
#if DNNL_VERSION_MAJOR >= 3
  return dnnl::convolution_backward_data::primitive_desc(engine(), kAlgo, d.any_src, d.any_wei, d.any_dst, d.strides, d.dilates,
                                                         d.pad_l, d.pad_r, hint);
#else
  return {{kAlgo, d.any_src, d.any_wei, d.any_dst, d.strides, d.dilates, d.pad_l, d.pad_r}, engine(), hint};
#endif
}

dnnl::convolution_backward_weights::primitive_desc backward_weights_pd(const ConvDescs& d) {
  auto hint = forward_pd(d);
#if DNNL_VERSION_MAJOR >= 3
  using PD = dnnl::convolution_backward_weights::primitive_desc;
  if (d.with_bias)
    return PD(engine(), kAlgo, d.any_src, d.any_wei, d.bias, d.any_dst, d.strides, d.dilates, d.pad_l, d.pad_r, hint);
  return PD(engine(), kAlgo, d.any_src, d.any_wei, d.any_dst, d.strides, d.dilates, d.pad_l, d.pad_r, hint);
#else
  if (d.with_bias)
    return {{kAlgo, d.any_src, d.any_wei, d.bias, d.any_dst, d.strides, d.dilates, d.pad_l, d.pad_r}, engine(), hint};
  return {{kAlgo, d.any_src, d.any_wei, d.any_dst, d.strides, d.dilates, d.pad_l, d.pad_r}, engine(), hint};
#endif
}

/// Where an argument comes from: the operand order of the public functions below.
enum Slot { kIn0, kIn1, kIn2, kOut0, kOut1, kSlots };

/// A cached primitive with its staged arguments; ok == false when oneDNN cannot take the case.
/// mu serialises calls, which share the entry's memory objects and scratch buffers.
struct Entry {
  bool ok = false;
  dnnl::primitive prim;
  std::vector<std::pair<int, StagedArg>> inputs, outputs;  // (DNNL_ARG_*, staging), with their slot
  std::vector<Slot> in_slots, out_slots;
  std::mutex mu;

  void input(int arg, Slot slot, const dnnl::memory::desc& plain, const dnnl::memory::desc& wanted) {
    inputs.emplace_back(arg, StagedArg(plain, wanted, true));
    in_slots.push_back(slot);
  }
  void output(int arg, Slot slot, const dnnl::memory::desc& plain, const dnnl::memory::desc& wanted) {
    outputs.emplace_back(arg, StagedArg(plain, wanted, false));
    out_slots.push_back(slot);
  }
};

/// Creates the primitive of this kind and stages its arguments (slots as in the public functions).
void build(Entry& e, Kind kind, const ConvDescs& d) {
  switch (kind) {
    case Kind::Forward: {  // (x, w, bias) -> out
      auto pd = forward_pd(d);
      if (is_reference_impl(pd)) return;
      e.prim = dnnl::convolution_forward(pd);
      e.input(DNNL_ARG_SRC, kIn0, d.src, pd.src_desc());
      e.input(DNNL_ARG_WEIGHTS, kIn1, d.wei, pd.weights_desc());
      if (d.with_bias) e.input(DNNL_ARG_BIAS, kIn2, d.bias, pd.bias_desc());
      e.output(DNNL_ARG_DST, kOut0, d.dst, pd.dst_desc());
      break;
    }
    case Kind::BackwardData: {  // (grad_out, w) -> grad_x
      auto pd = backward_data_pd(d);
      if (is_reference_impl(pd)) return;
      e.prim = dnnl::convolution_backward_data(pd);
      e.input(DNNL_ARG_DIFF_DST, kIn0, d.dst, pd.diff_dst_desc());
      e.input(DNNL_ARG_WEIGHTS, kIn1, d.wei, pd.weights_desc());
      e.output(DNNL_ARG_DIFF_SRC, kOut0, d.src, pd.diff_src_desc());
      break;
    }
    case Kind::BackwardWeights: {  // (grad_out, x) -> grad_w, grad_bias
      auto pd = backward_weights_pd(d);
      if (is_reference_impl(pd)) return;
      e.prim = dnnl::convolution_backward_weights(pd);
      e.input(DNNL_ARG_DIFF_DST, kIn0, d.dst, pd.diff_dst_desc());
      e.input(DNNL_ARG_SRC, kIn1, d.src, pd.src_desc());
      e.output(DNNL_ARG_DIFF_WEIGHTS, kOut0, d.wei, pd.diff_weights_desc());
      if (d.with_bias) e.output(DNNL_ARG_DIFF_BIAS, kOut1, d.bias, pd.diff_bias_desc());
      break;
    }
  }
  e.ok = true;
}

/// The primitive of this kind for these operands, created on first use.
Entry& lookup(Kind kind, const TensorArg& x, const TensorArg& w, const TensorArg& out, bool with_bias,
              const Conv2dGeometry& g) {
  static std::mutex mu;
  static std::map<std::vector<int64_t>, Entry> cache;
  std::vector<int64_t> key{static_cast<int64_t>(kind), static_cast<int64_t>(x.dtype), with_bias, g.groups,
                           g.stride[0], g.stride[1], g.padding[0], g.padding[1], g.dilation[0], g.dilation[1]};
  for (const Shape* s : {&x.sizes, &w.sizes, &out.sizes}) key.insert(key.end(), s->begin(), s->end());
  const Layouts l(x, out);
  key.insert(key.end(), {l.nhwc_prim, l.x_nhwc, l.out_nhwc});
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  Entry& e = cache.try_emplace(std::move(key)).first->second;
  if (auto dt = data_type(x.dtype)) {
    try {
      build(e, kind, describe(x, w, out, with_bias, g, *dt));
      if (e.ok) ++g_created;
    } catch (const dnnl::error&) {
      e.ok = false;  // unsupported here (dtype/ISA/shape): the reference loops take it
      e.inputs.clear(), e.outputs.clear(), e.in_slots.clear(), e.out_slots.clear();
    }
  }
  return e;
}

void* data_of(const TensorArg& a) {
  return static_cast<char*>(a.data) + a.offset * static_cast<int64_t>(dtype_size(a.dtype));
}

/// Runs e (whose mutex the caller holds) with the operands in slot order (nullptr for an absent
/// optional operand). An input whose DNNL_ARG_* is `shared_arg` takes `shared` (already in the
/// primitive's layout) instead of its own staging. Returns the memory each input was given.
std::unordered_map<int, dnnl::memory> run_locked(Entry& e, const std::array<const TensorArg*, kSlots>& slots,
                                                  int shared_arg = -1, const dnnl::memory* shared = nullptr) {
  dnnl::stream& s = stream();
  std::unordered_map<int, dnnl::memory> args;
  for (size_t i = 0; i < e.inputs.size(); ++i) {
    if (e.inputs[i].first == shared_arg && shared) args.emplace(shared_arg, *shared);
    else args.emplace(e.inputs[i].first, e.inputs[i].second.bind(data_of(*slots[e.in_slots[i]]), s));
  }
  for (size_t i = 0; i < e.outputs.size(); ++i)
    args.emplace(e.outputs[i].first, e.outputs[i].second.bind(data_of(*slots[e.out_slots[i]]), s));
  e.prim.execute(s, args);
  for (auto& [arg, staged] : e.outputs) staged.finish(s);
  s.wait();
  ++g_calls;
  return args;
}

void run(Entry& e, const std::array<const TensorArg*, kSlots>& slots) {
  std::lock_guard<std::mutex> lock(e.mu);
  run_locked(e, slots);
}

/// The layout e's input `arg` is staged into (null when e has no such input).
const dnnl::memory::desc* wanted_of(const Entry& e, int arg) {
  for (const auto& [a, staged] : e.inputs)
    if (a == arg) return &staged.wanted();
  return nullptr;
}

}  // namespace

bool conv2d_forward(const TensorArg& x, const TensorArg& w, const TensorArg* bias, const TensorArg& out,
                    const Conv2dGeometry& g) {
  Entry& e = lookup(Kind::Forward, x, w, out, bias != nullptr, g);
  if (!e.ok) return false;
  run(e, {&x, &w, bias, &out, nullptr});
  return true;
}

bool conv2d_backward_input(const TensorArg& grad_out, const TensorArg& w, const TensorArg& grad_x,
                           const Conv2dGeometry& g) {
  Entry& e = lookup(Kind::BackwardData, grad_x, w, grad_out, false, g);
  if (!e.ok) return false;
  run(e, {&grad_out, &w, nullptr, &grad_x, nullptr});
  return true;
}

bool conv2d_backward_weight(const TensorArg& grad_out, const TensorArg& x, const TensorArg& grad_w,
                            const TensorArg* grad_bias, const Conv2dGeometry& g) {
  Entry& e = lookup(Kind::BackwardWeights, x, grad_w, grad_out, grad_bias != nullptr, g);
  if (!e.ok) return false;
  run(e, {&grad_out, &x, nullptr, &grad_w, grad_bias});
  return true;
}

bool conv2d_backward(const TensorArg& grad_out, const TensorArg& x, const TensorArg& w, const TensorArg* grad_x,
                     const TensorArg* grad_w, const TensorArg* grad_bias, const Conv2dGeometry& g) {
  if (!grad_x || !grad_w) return false;  // one gradient alone: the single kernels
  Entry& ed = lookup(Kind::BackwardData, *grad_x, w, grad_out, false, g);
  Entry& ew = lookup(Kind::BackwardWeights, x, *grad_w, grad_out, grad_bias != nullptr, g);
  if (!ed.ok || !ew.ok) return false;
  std::scoped_lock lock(ed.mu, ew.mu);  // both entries' staging buffers, taken without deadlock
  auto args = run_locked(ed, {&grad_out, &w, nullptr, grad_x, nullptr});
  // grad_out staged (reordered) once for both primitives when they want it in the same layout.
  const dnnl::memory::desc* wd = wanted_of(ed, DNNL_ARG_DIFF_DST);
  const dnnl::memory::desc* ww = wanted_of(ew, DNNL_ARG_DIFF_DST);
  const bool share = wd && ww && *wd == *ww;
  if (share) ++g_shared;
  run_locked(ew, {&grad_out, &x, nullptr, grad_w, grad_bias}, share ? DNNL_ARG_DIFF_DST : -1,
             share ? &args.at(DNNL_ARG_DIFF_DST) : nullptr);
  return true;
}

int64_t conv2d_calls() { return g_calls.load(); }
int64_t conv2d_shared_stagings() { return g_shared.load(); }
int64_t conv2d_primitives_created() { return g_created.load(); }

}  // namespace ember::cpu::onednn
