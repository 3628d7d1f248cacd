// conv2d: argument checks, forward through the backend's conv kernels, and a backward built
// from the dedicated grad-input / grad-weight kernels.
#include "ember/ops/conv.h"

#include "autograd/record.h"
#include "core/kernels/conv.h"
#include "core/memory_format.h"
#include "core/tensor_impl.h"
#include "ops/autocast.h"
#include "ops/dispatch.h"

namespace ember {

using GradList = std::vector<Tensor>;

namespace {

std::string pair_str(const std::array<int64_t, 2>& a) { return detail::concat("(", a[0], ",", a[1], ")"); }

/// Checks every argument of conv2d; returns the output shape (N,O,OH,OW).
Shape conv2d_check(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p) {
  const char* op = "conv2d";
  ops::check_defined(op, "input", x);
  ops::check_defined(op, "weight", w);
  ops::check_same_device(op, {x, w, b});
  EMBER_CHECK(x.dim() == 4, "conv2d: input must be 4-D (N,C,H,W), got ", shape_str(x.shape()));
  EMBER_CHECK(w.dim() == 4, "conv2d: weight must be 4-D (O,C/groups,kH,kW), got ", shape_str(w.shape()));
  ops::check_floating(op, "input", x);
  EMBER_CHECK(w.dtype() == x.dtype(), "conv2d: input is ", dtype_name(x.dtype()), " but weight is ",
              dtype_name(w.dtype()));
  for (int i = 0; i < 2; ++i) {
    EMBER_CHECK(p.stride[i] >= 1, "conv2d: stride must be >= 1, got ", pair_str(p.stride));
    EMBER_CHECK(p.padding[i] >= 0, "conv2d: padding must be >= 0, got ", pair_str(p.padding));
    EMBER_CHECK(p.dilation[i] >= 1, "conv2d: dilation must be >= 1, got ", pair_str(p.dilation));
  }
  const Shape &xs = x.shape(), &ws = w.shape();
  EMBER_CHECK(p.groups >= 1, "conv2d: groups must be >= 1, got ", p.groups);
  EMBER_CHECK(xs[1] == ws[1] * p.groups, "conv2d: input ", shape_str(xs), " has ", xs[1], " channels but weight ",
              shape_str(ws), " expects ", ws[1] * p.groups, " (groups=", p.groups, ")");
  EMBER_CHECK(ws[0] % p.groups == 0, "conv2d: weight ", shape_str(ws), " has ", ws[0],
              " output channels, not divisible by groups=", p.groups);
  EMBER_CHECK(ws[2] >= 1 && ws[3] >= 1, "conv2d: weight ", shape_str(ws), " has an empty kernel");
  if (b.defined()) {
    EMBER_CHECK(b.dim() == 1 && b.shape()[0] == ws[0], "conv2d: bias ", shape_str(b.shape()), " must be [", ws[0],
                "] for weight ", shape_str(ws));
    EMBER_CHECK(b.dtype() == x.dtype(), "conv2d: input is ", dtype_name(x.dtype()), " but bias is ",
                dtype_name(b.dtype()));
  }
  Shape out{xs[0], ws[0], 0, 0};
  for (int i = 0; i < 2; ++i) {
    int64_t span = p.dilation[i] * (ws[2 + i] - 1) + 1;
    int64_t padded = xs[2 + i] + 2 * p.padding[i];
    out[2 + i] = padded >= span ? (padded - span) / p.stride[i] + 1 : 0;
  }
  EMBER_CHECK(out[2] >= 1 && out[3] >= 1, "conv2d: input ", shape_str(xs), " with weight ", shape_str(ws),
              ", padding ", pair_str(p.padding), ", dilation ", pair_str(p.dilation), " and stride ",
              pair_str(p.stride), " gives an empty output [", out[2], ",", out[3], "]");
  return out;
}

kernels::Conv2dGeometry geometry(const Conv2dParams& p) {
  return kernels::Conv2dGeometry{p.stride, p.padding, p.dilation, p.groups};
}

/// An activation as the backend's conv kernels take it: as it is when it is contiguous, or
/// channels-last on a backend that takes that; else a contiguous copy.
Tensor activation_arg(const Tensor& t, const Backend& b) {
  return t.is_contiguous() || (b.takes_channels_last() && is_channels_last(t)) ? t : t.contiguous();
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& p) {
  if (auto c = amp::detail::autocast_lower({x, weight, bias})) return conv2d((*c)[0], (*c)[1], (*c)[2], p);
  Shape out_shape = conv2d_check(x, weight, bias, p);
  const kernels::Conv2dGeometry g = geometry(p);
  Device dev = x.device();
  Backend& be = x.impl()->backend();
  // Channels-last where the backend's kernels are faster so (bfloat16 on oneDNN); the layout
  // then flows to the next layers and to the gradients.
  const bool cl_out = be.takes_channels_last() && be.prefers_channels_last(x.dtype());
  Tensor out = make_empty_activation(out_shape, x.dtype(), be, cl_out);
  if (out.numel() > 0) {
    NoGradGuard ng;
    Tensor xc = activation_arg(x, be), wc = weight.contiguous(), bc = bias.defined() ? bias.contiguous() : Tensor();
    TensorArg ba = bc.defined() ? arg_of(bc) : TensorArg{};
    ops::kernel<kernels::Conv2dForwardKernel>(dev, kernels::kConv2dForward)(arg_of(xc), arg_of(wc),
                                                                             bc.defined() ? &ba : nullptr,
                                                                             arg_of(out), g);
  }
  autograd::record("conv2d", {x, weight, bias}, {out}, [x, weight, bias, g](const GradList& grads) {
    GradList r(3);
    if (!grads[0].defined()) return r;
    Device d = x.device();
    Backend& be = x.impl()->backend();
    Tensor go = activation_arg(grads[0], be);
    bool empty = go.numel() == 0;
    const bool want_x = x.requires_grad(), want_b = bias.defined() && bias.requires_grad();
    const bool want_w = weight.requires_grad() || want_b;  // the weight kernel writes both
    // The input gradient in the input's layout, so that it meets the layer below as that left it.
    Tensor gx = want_x ? make_empty_activation(x.shape(), x.dtype(), be, keeps_channels_last(x)) : Tensor();
    Tensor gw = want_w ? make_empty(weight.shape(), weight.dtype(), d) : Tensor();
    Tensor gb = want_b ? make_empty(bias.shape(), bias.dtype(), d) : Tensor();
    TensorArg gba = want_b ? arg_of(gb) : TensorArg{};
    static const ops::KernelRef<kernels::Conv2dBackwardKernel> both(kernels::kConv2dBackward);
    if (empty) {
      for (Tensor* t : {&gx, &gw, &gb})
        if (t->defined()) t->fill_(0.0);
    } else if (want_x && weight.requires_grad() && both(be).native(x.dtype())) {
      // Both gradients in one call where the backend shares work between them (optional kernel).
      both(be)(arg_of(go), arg_of(activation_arg(x, be)), arg_of(weight.contiguous()), arg_of(gx), arg_of(gw),
               want_b ? &gba : nullptr, g);
    } else {
      if (want_x)
        ops::kernel<kernels::Conv2dBackwardInputKernel>(d, kernels::kConv2dBackwardInput)(
            arg_of(go), arg_of(weight.contiguous()), arg_of(gx), g);
      if (want_w)
        ops::kernel<kernels::Conv2dBackwardWeightKernel>(d, kernels::kConv2dBackwardWeight)(
            arg_of(go), arg_of(activation_arg(x, be)), arg_of(gw), want_b ? &gba : nullptr, g);
    }
    r[0] = gx;
    if (weight.requires_grad()) r[1] = gw;
    r[2] = gb;
    return r;
  });
  return out;
}

}  // namespace ember
