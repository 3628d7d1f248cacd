// Pooling ops: max_pool2d (arg-max indices saved for the backward), avg_pool2d
// (count_include_pad) and adaptive_avg_pool2d, each through the backend's pool kernels.
#include "autograd/record.h"
#include "core/kernels/pool.h"
#include "ember/ops/conv.h"
#include "ops/dispatch.h"

namespace ember {

using GradList = std::vector<Tensor>;

namespace {

std::string pair_str(const std::array<int64_t, 2>& a) { return detail::concat("(", a[0], ",", a[1], ")"); }

void check_input(const char* op, const Tensor& x) {
  ops::check_defined(op, "input", x);
  EMBER_CHECK(x.dim() == 4, op, ": input must be 4-D (N,C,H,W), got ", shape_str(x.shape()));
  ops::check_floating(op, "input", x);
}

/// Validates the window and returns the kernel geometry (stride 0 replaced by the kernel).
kernels::Pool2dGeometry pool_geometry(const char* op, const Tensor& x, const Pool2dParams& p, Shape* out) {
  check_input(op, x);
  kernels::Pool2dGeometry g{p.kernel, p.stride, p.padding};
  for (int i = 0; i < 2; ++i) {
    EMBER_CHECK(p.kernel[i] >= 1, op, ": kernel size must be >= 1, got ", pair_str(p.kernel));
    EMBER_CHECK(p.stride[i] >= 0, op, ": stride must be >= 1 (or 0 for the kernel size), got ", pair_str(p.stride));
    if (g.stride[i] == 0) g.stride[i] = g.kernel[i];
    EMBER_CHECK(p.padding[i] >= 0 && 2 * p.padding[i] <= p.kernel[i], op, ": padding ", pair_str(p.padding),
                " must be between 0 and half the kernel ", pair_str(p.kernel));
  }
  const Shape& xs = x.shape();
  *out = {xs[0], xs[1], 0, 0};
  for (int i = 0; i < 2; ++i) {
    int64_t padded = xs[2 + i] + 2 * g.padding[i];
    (*out)[2 + i] = padded >= g.kernel[i] ? (padded - g.kernel[i]) / g.stride[i] + 1 : 0;
  }
  EMBER_CHECK((*out)[2] >= 1 && (*out)[3] >= 1, op, ": input ", shape_str(xs), " with kernel ", pair_str(g.kernel),
              ", stride ", pair_str(g.stride), " and padding ", pair_str(g.padding), " gives an empty output [",
              (*out)[2], ",", (*out)[3], "]");
  return g;
}

/// A gradient for x of shape s: zeros when empty, else filled by run(grad_out, grad_x).
template <class F>
Tensor grad_input(const Tensor& go, const Tensor& x, F&& run) {
  Tensor gx = make_empty(x.shape(), x.dtype(), x.device());
  if (gx.numel() == 0) return gx;
  if (go.numel() == 0) gx.fill_(0.0);
  else run(arg_of(go.contiguous()), arg_of(gx));
  return gx;
}

}  // namespace

Tensor max_pool2d(const Tensor& x, const Pool2dParams& p) {
  Shape os;
  kernels::Pool2dGeometry g = pool_geometry("max_pool2d", x, p, &os);
  Device dev = x.device();
  Tensor out = make_empty(os, x.dtype(), dev);
  bool want_idx = autograd::needs_grad({x});
  Tensor idx = want_idx ? make_empty(os, DType::Int64, dev) : Tensor();
  if (out.numel() > 0) {
    Tensor xc = x.contiguous();
    TensorArg ia = want_idx ? arg_of(idx) : TensorArg{};
    ops::kernel<kernels::MaxPool2dForwardKernel>(dev, kernels::kMaxPool2dForward)(arg_of(xc), arg_of(out),
                                                                                   want_idx ? &ia : nullptr, g);
  }
  autograd::record("max_pool2d", {x}, {out}, [x, idx, g](const GradList& grads) {
    if (!grads[0].defined()) return GradList{Tensor()};
    return GradList{grad_input(grads[0], x, [&](const TensorArg& go, const TensorArg& gx) {
      ops::kernel<kernels::MaxPool2dBackwardKernel>(x.device(), kernels::kMaxPool2dBackward)(go, arg_of(idx), gx, g);
    })};
  });
  return out;
}

Tensor avg_pool2d(const Tensor& x, const Pool2dParams& p) {
  Shape os;
  kernels::Pool2dGeometry g = pool_geometry("avg_pool2d", x, p, &os);
  Device dev = x.device();
  Tensor out = make_empty(os, x.dtype(), dev);
  if (out.numel() > 0)
    ops::kernel<kernels::AvgPool2dForwardKernel>(dev, kernels::kAvgPool2dForward)(arg_of(x.contiguous()),
                                                                                   arg_of(out), g);
  autograd::record("avg_pool2d", {x}, {out}, [x, g](const GradList& grads) {
    if (!grads[0].defined()) return GradList{Tensor()};
    return GradList{grad_input(grads[0], x, [&](const TensorArg& go, const TensorArg& gx) {
      ops::kernel<kernels::AvgPool2dBackwardKernel>(x.device(), kernels::kAvgPool2dBackward)(go, gx, g);
    })};
  });
  return out;
}

Tensor adaptive_avg_pool2d(const Tensor& x, std::array<int64_t, 2> out_size) {
  const char* op = "adaptive_avg_pool2d";
  check_input(op, x);
  const Shape& xs = x.shape();
  EMBER_CHECK(out_size[0] >= 1 && out_size[1] >= 1, op, ": output size must be >= 1, got ", pair_str(out_size));
  EMBER_CHECK(xs[2] >= 1 && xs[3] >= 1, op, ": input ", shape_str(xs), " has an empty spatial dimension");
  Device dev = x.device();
  Tensor out = make_empty({xs[0], xs[1], out_size[0], out_size[1]}, x.dtype(), dev);
  if (out.numel() > 0)
    ops::kernel<kernels::AdaptiveAvgPool2dForwardKernel>(dev, kernels::kAdaptiveAvgPool2dForward)(
        arg_of(x.contiguous()), arg_of(out));
  autograd::record(op, {x}, {out}, [x](const GradList& grads) {
    if (!grads[0].defined()) return GradList{Tensor()};
    return GradList{grad_input(grads[0], x, [&](const TensorArg& go, const TensorArg& gx) {
      ops::kernel<kernels::AdaptiveAvgPool2dBackwardKernel>(x.device(), kernels::kAdaptiveAvgPool2dBackward)(go, gx);
    })};
  });
  return out;
}

}  // namespace ember
