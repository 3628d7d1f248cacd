// batch_norm_relu_max_pool2d: the BatchNorm2d → ReLU → MaxPool2d(2) training block as one op
// with one autograd node, on the device's fused kernels (core/kernels/fused.h) where it has them
// and composed from batch_norm, relu and max_pool2d where it does not.
#include "autograd/record.h"
#include "core/kernels/fused.h"
#include "ops/memory_format.h"
#include "core/tensor_impl.h"
#include "ember/autocast.h"
#include "ember/ops/conv.h"
#include "ember/ops/norm.h"
#include "ops/autocast.h"
#include "ops/dispatch.h"
#include "ops/norm_util.h"

namespace ember {

using namespace norm_util;

Tensor batch_norm_relu_max_pool2d(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                                  const Tensor& weight, const Tensor& bias, double momentum, double eps) {
  static const ops::KernelRef<kernels::BatchNormReluMaxPool2dForwardKernel> fwd_ref(
      kernels::kBatchNormReluMaxPool2dForward);
  // Under autocast, a bfloat16 input (a conv's output) goes to the fused kernel as it is, which
  // computes in float32 as the autocast policy asks and returns the input gradient in bfloat16:
  // two full-size conversions fewer. Otherwise float32 under autocast, as batch_norm.
  const bool direct_bf16 = x.defined() && x.dtype() == kBFloat16 && amp::autocast_enabled() && fwd_ref(x.device()).native();
  if (!direct_bf16)
    if (auto c = amp::detail::autocast_fp32({x, weight, bias}))
      return batch_norm_relu_max_pool2d((*c)[0], running_mean, running_var, (*c)[1], (*c)[2], momentum, eps);
  const char* op = "batch_norm_relu_max_pool2d";
  ops::check_defined(op, "input", x);
  ops::check_floating(op, "input", x);
  ops::check_same_device(op, {x, running_mean, running_var, weight, bias});
  EMBER_CHECK(x.dim() == 4 && x.size(2) >= 2 && x.size(3) >= 2, op, ": input must be (N,C,H,W) with H, W >= 2, got ",
              shape_str(x.shape()));
  EMBER_CHECK(running_mean.defined() == running_var.defined(), op,
              ": running_mean and running_var must both be given or both be undefined");
  EMBER_CHECK(eps > 0, op, ": eps must be > 0, got ", eps);
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3), M = N * H * W;
  const Shape cs{C};
  check_param(op, "weight", weight, cs, x);
  check_param(op, "bias", bias, cs, x);
  check_param(op, "running_mean", running_mean, cs, x);
  check_param(op, "running_var", running_var, cs, x);
  EMBER_CHECK(M > 1, op, ": expected more than 1 value per channel when using batch statistics, got input ",
              shape_str(x.shape()));
  const Device dev = x.device();
  auto fwd = fwd_ref(dev);
  const bool fused_dtype = x.dtype() == DType::Float32 || x.dtype() == DType::Float64 || direct_bf16;
  if (!fwd.native() || !fused_dtype || x.numel() == 0) {
    Pool2dParams p;
    p.kernel = {2, 2};
    p.stride = {2, 2};
    return max_pool2d(relu(batch_norm(x, running_mean, running_var, weight, bias, true, momentum, eps)), p);
  }

  const DType cd = stat_dtype(x.dtype());  // the compute dtype: output, statistics, parameters
  // A channels-last input (a bfloat16 conv's output on the CPU) stays so: output, winner codes
  // and input gradient share its layout, and the output feeds the next conv without a reorder.
  Backend& be = x.impl()->backend();
  const bool cl = keeps_channels_last(x);
  Tensor out = make_empty_activation({N, C, H / 2, W / 2}, cd, be, cl);
  Tensor code = make_empty_activation(out.shape(), DType::UInt8, be, cl);
  Tensor mean = make_empty(cs, cd, dev), var = make_empty(cs, cd, dev), rstd = make_empty(cs, cd, dev);
  Tensor xc;
  {
    NoGradGuard ng;
    xc = cl ? x : x.contiguous();
    Tensor w = as_param(weight, cd, cs), b = as_param(bias, cd, cs);
    TensorArg wa, ba;
    fwd(arg_of(xc), opt_arg(w, wa), opt_arg(b, ba), eps, arg_of(out), arg_of(code), arg_of(mean), arg_of(var),
        arg_of(rstd));
    if (running_mean.defined()) update_running_stats(running_mean, running_var, mean, var, momentum, M);
  }
  const bool need_x = wants_grad(x), need_w = wants_grad(weight), need_b = wants_grad(bias);
  autograd::record(op, {x, weight, bias}, {out},
                   [xc = xc.detach(), weight, bias, code, mean, rstd, need_x, need_w, need_b, cd, cl](const std::vector<Tensor>& g) {
                     static const ops::KernelRef<kernels::BatchNormReluMaxPool2dBackwardKernel> bwd(
                         kernels::kBatchNormReluMaxPool2dBackward);
                     const Device dev = xc.device();
                     const int64_t C = xc.size(1);
                     Tensor gc = cl ? to_channels_last(g[0].to(cd)) : g[0].to(cd).contiguous();
                     Tensor w = as_param(weight, cd, {C});
                     Backend& be = xc.impl()->backend();
                     Tensor dx = need_x ? make_empty_activation(xc.shape(), xc.dtype(), be, cl) : Tensor();
                     Tensor dw = need_w ? make_empty({C}, cd, dev) : Tensor();
                     Tensor db = need_b ? make_empty({C}, cd, dev) : Tensor();
                     TensorArg wa, dxa, dwa, dba;
                     bwd(dev)(arg_of(gc), arg_of(code), arg_of(xc), arg_of(mean), arg_of(rstd), opt_arg(w, wa),
                              opt_arg(dx, dxa), opt_arg(dw, dwa), opt_arg(db, dba));
                     return std::vector<Tensor>{dx, grad_as(dw, weight), grad_as(db, bias)};
                   });
  return out;
}

}  // namespace ember
