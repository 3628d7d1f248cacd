// batch_norm (training/eval, running-stat updates), layer_norm and dropout. The norms run
// dedicated forward/backward kernels and save mean/rstd for the backward; dropout draws its
// mask from the default generator and multiplies by it both ways.
#include "ember/ops/norm.h"

#include <cmath>
#include <type_traits>

#include "autograd/record.h"
#include "core/kernels/fused.h"
#include "core/kernels/norm.h"
#include "core/memory_format.h"
#include "ember/ops/elementwise.h"
#include "ember/random.h"
#include "ops/dispatch.h"
#include "ops/autocast.h"
#include "ops/norm_util.h"

namespace ember {

using GradList = std::vector<Tensor>;
using namespace norm_util;

namespace {

/// m[i] = keep where the i-th 32-bit uniform of the stream is >= threshold (each 64-bit value
/// gives two), else 0. Branch-free with no loop-carried state, so it vectorises.
template <class V>
void fill_dropout_mask(V* __restrict m, int64_t n, uint64_t seed, uint64_t threshold, V keep) {
  const int64_t pairs = n / 2;
  for (int64_t j = 0; j < pairs; ++j) {
    const uint64_t r = kernels::splitmix64(seed, static_cast<uint64_t>(j));
    m[2 * j] = (r & 0xffffffffu) >= threshold ? keep : V(0);
    m[2 * j + 1] = (r >> 32) >= threshold ? keep : V(0);
  }
  if (n % 2) m[n - 1] = (kernels::splitmix64(seed, static_cast<uint64_t>(pairs)) & 0xffffffffu) >= threshold ? keep : V(0);
}

/// A host-drawn dropout mask shaped like x, in x's dtype and on x's device (see dropout()).
/// V (float or double) is the host type it is drawn in, straight into a CPU tensor.
template <class V>
Tensor dropout_mask(const Tensor& x, uint64_t seed, uint64_t threshold, double scale) {
  Tensor h = make_empty(x.shape(), std::is_same_v<V, double> ? DType::Float64 : DType::Float32, Device());
  if (x.numel() > 0) fill_dropout_mask<V>(h.data_ptr<V>(), x.numel(), seed, threshold, static_cast<V>(scale));
  return h.to(x.dtype()).to(x.device());
}


}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum, double eps) {
  if (auto c = amp::detail::autocast_fp32({x, weight, bias}))  // running stats are updated in place: never cast
    return batch_norm((*c)[0], running_mean, running_var, (*c)[1], (*c)[2], training, momentum, eps);
  const char* op = "batch_norm";
  ops::check_defined(op, "input", x);
  ops::check_floating(op, "input", x);
  ops::check_same_device(op, {x, running_mean, running_var, weight, bias});
  EMBER_CHECK(x.dim() >= 2, op, ": input must be (N,C,*), got ", shape_str(x.shape()));
  EMBER_CHECK(running_mean.defined() == running_var.defined(), op,
              ": running_mean and running_var must both be given or both be undefined");
  EMBER_CHECK(eps > 0, op, ": eps must be > 0, got ", eps);
  const int64_t N = x.size(0), C = x.size(1), S = shape_numel(Shape(x.shape().begin() + 2, x.shape().end()));
  const Shape cs{C};
  check_param(op, "weight", weight, cs, x);
  check_param(op, "bias", bias, cs, x);
  check_param(op, "running_mean", running_mean, cs, x);
  check_param(op, "running_var", running_var, cs, x);
  const bool batch_stats = training || !running_mean.defined();
  const int64_t M = N * S;
  EMBER_CHECK(!batch_stats || M > 1, op, ": expected more than 1 value per channel when using batch statistics, got input ",
              shape_str(x.shape()));
  const Device dev = x.device();
  const DType sd = stat_dtype(x.dtype());
  // A channels-last activation (bf16 autocast's conv outputs) keeps its layout: the CPU's fast
  // kernels take it as rows of C channels, and the next conv gets it without a copy.
  const bool cl = keeps_channels_last(x);
  Tensor out = make_empty_activation(x.shape(), x.dtype(), x.impl()->backend(), cl);
  if (x.numel() == 0) return out;  // only reachable in eval with C == 0 or N*S == 0 and running stats

  Tensor mean, rstd;
  Tensor x3;
  {
    NoGradGuard ng;
    x3 = x.reshape({N, C, S});
    if (batch_stats) {
      mean = make_empty(cs, sd, dev);
      rstd = make_empty(cs, sd, dev);
      Tensor var = make_empty(cs, sd, dev);
      Tensor w = as_param(weight, x.dtype(), cs), b = as_param(bias, x.dtype(), cs);
      TensorArg wa, ba;
      ops::kernel<kernels::BatchNormForwardKernel>(dev, kernels::kBatchNormForward)(
          arg_of(x3), opt_arg(w, wa), opt_arg(b, ba), eps, arg_of(out.view({N, C, S})), arg_of(mean), arg_of(var),
          arg_of(rstd));
      if (training && running_mean.defined()) {
        norm_util::update_running_stats(running_mean, running_var, mean, var, momentum, M);
      }
    } else {
      mean = running_mean.to(sd).contiguous();
      rstd = pow(add(running_var.to(sd), eps), -0.5);
      Tensor w = as_param(weight, x.dtype(), cs), b = as_param(bias, x.dtype(), cs);
      TensorArg wa, ba;
      ops::kernel<kernels::BatchNormApplyKernel>(dev, kernels::kBatchNormApply)(
          arg_of(x3), arg_of(mean), arg_of(rstd), opt_arg(w, wa), opt_arg(b, ba), arg_of(out.view({N, C, S})));
    }
  }
  bool need_x = wants_grad(x), need_w = wants_grad(weight), need_b = wants_grad(bias);
  autograd::record(op, {x, weight, bias}, {out},
                   [x3 = x3.detach(), xs = x.shape(), weight, bias, mean, rstd, batch_stats, need_x, need_w, need_b,
                    N, C, S, cl](const GradList& g) {
                     const Device dev = x3.device();
                     Tensor g3 = g[0].to(x3.dtype()).reshape({N, C, S});
                     Tensor w = as_param(weight, x3.dtype(), {C});
                     // The input gradient in the input's layout (channels-last stays so).
                     Tensor dx = need_x ? make_empty_activation(xs, x3.dtype(), x3.impl()->backend(), cl) : Tensor();
                     Tensor dx3 = dx.defined() ? dx.view({N, C, S}) : Tensor();
                     Tensor dw = need_w ? make_empty({C}, x3.dtype(), dev) : Tensor();
                     Tensor db = need_b ? make_empty({C}, x3.dtype(), dev) : Tensor();
                     TensorArg wa, dxa, dwa, dba;
                     ops::kernel<kernels::BatchNormBackwardKernel>(dev, kernels::kBatchNormBackward)(
                         arg_of(g3), arg_of(x3), arg_of(mean), arg_of(rstd), opt_arg(w, wa), batch_stats,
                         opt_arg(dx3, dxa), opt_arg(dw, dwa), opt_arg(db, dba));
                     return GradList{dx, grad_as(dw, weight), grad_as(db, bias)};
                   });
  return out;
}

Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps) {
  if (auto c = amp::detail::autocast_fp32({x, weight, bias}))
    return layer_norm((*c)[0], normalized_shape, (*c)[1], (*c)[2], eps);
  const char* op = "layer_norm";
  ops::check_defined(op, "input", x);
  ops::check_floating(op, "input", x);
  ops::check_same_device(op, {x, weight, bias});
  const int64_t k = static_cast<int64_t>(normalized_shape.size());
  EMBER_CHECK(k >= 1, op, ": normalized_shape must not be empty");
  EMBER_CHECK(eps > 0, op, ": eps must be > 0, got ", eps);
  EMBER_CHECK(x.dim() >= k && Shape(x.shape().end() - k, x.shape().end()) == normalized_shape, op,
              ": normalized_shape ", shape_str(normalized_shape), " does not match the trailing dims of input ",
              shape_str(x.shape()));
  check_param(op, "weight", weight, normalized_shape, x);
  check_param(op, "bias", bias, normalized_shape, x);
  const int64_t Nn = shape_numel(normalized_shape), M = Nn ? x.numel() / Nn : 0;
  const Device dev = x.device();
  const DType sd = stat_dtype(x.dtype());
  Tensor out = make_empty(x.shape(), x.dtype(), dev);
  Tensor mean = make_empty({M}, sd, dev), rstd = make_empty({M}, sd, dev);
  Tensor x2;
  {
    NoGradGuard ng;
    x2 = x.reshape({M, Nn});
    Tensor w = as_param(weight, x.dtype(), {Nn}), b = as_param(bias, x.dtype(), {Nn});
    TensorArg wa, ba;
    if (x.numel() > 0)
      ops::kernel<kernels::LayerNormForwardKernel>(dev, kernels::kLayerNormForward)(
          arg_of(x2), opt_arg(w, wa), opt_arg(b, ba), eps, arg_of(out.view({M, Nn})), arg_of(mean), arg_of(rstd));
  }
  bool need_x = wants_grad(x), need_w = wants_grad(weight), need_b = wants_grad(bias);
  autograd::record(op, {x, weight, bias}, {out},
                   [x2 = x2.detach(), xs = x.shape(), weight, bias, mean, rstd, need_x, need_w, need_b, M,
                    Nn](const GradList& g) {
                     const Device dev = x2.device();
                     Tensor dx = need_x ? make_empty({M, Nn}, x2.dtype(), dev) : Tensor();
                     Tensor dw = need_w ? make_empty({Nn}, x2.dtype(), dev) : Tensor();
                     Tensor db = need_b ? make_empty({Nn}, x2.dtype(), dev) : Tensor();
                     if (dw.defined() && M == 0) dw.fill_(0.0);
                     if (db.defined() && M == 0) db.fill_(0.0);
                     if (M > 0 && Nn > 0) {
                       Tensor g2 = g[0].to(x2.dtype()).reshape({M, Nn});
                       Tensor w = as_param(weight, x2.dtype(), {Nn});
                       TensorArg wa, dxa, dwa, dba;
                       ops::kernel<kernels::LayerNormBackwardKernel>(dev, kernels::kLayerNormBackward)(
                           arg_of(g2), arg_of(x2), arg_of(mean), arg_of(rstd), opt_arg(w, wa), opt_arg(dx, dxa),
                           opt_arg(dw, dwa), opt_arg(db, dba));
                     }
                     return GradList{dx.defined() ? dx.reshape(xs) : dx, grad_as(dw, weight), grad_as(db, bias)};
                   });
  return out;
}

Tensor dropout(const Tensor& x, double p, bool training) {
  static const ops::KernelRef<kernels::DropoutKernel> fused_ref(kernels::kDropout);
  ops::check_defined("dropout", "input", x);
  EMBER_CHECK(p >= 0.0 && p <= 1.0, "dropout: probability p must be in [0,1], got ", p);
  if (!training || p == 0.0) return x;
  ops::check_floating("dropout", "input", x);
  // The mask holds 0 or 1/(1-p) (0 everywhere when p == 1). Each 64-bit value of the
  // splitmix64 stream seeded from the default generator gives two 32-bit uniforms
  // (kernels::dropout_uniform): an element is kept when its uniform u32 / 2^32 >= p, so a
  // manual_seed reproduces the mask on every backend.
  // One draw from the default generator seeds the stream: much cheaper per element than the
  // Mersenne Twister, and still fixed by manual_seed.
  const double scale = p < 1.0 ? 1.0 / (1.0 - p) : 0.0;
  const uint64_t threshold = static_cast<uint64_t>(std::ceil(p * 4294967296.0));  // keep iff u32 >= threshold
  const uint64_t seed = default_generator().next_u64();
  auto fused = fused_ref(x.device());
  if (fused.native()) {
    // The device draws the stream inside one pass (no mask tensor; the backward redraws it).
    auto apply = [fused, seed, threshold, scale](const Tensor& t) {
      NoGradGuard ng;
      Tensor in = t.contiguous();
      Tensor out = make_empty(in.shape(), in.dtype(), in.device());
      if (in.numel() > 0) fused(arg_of(in), arg_of(out), seed, threshold, scale);
      return out;
    };
    Tensor out = apply(x);
    autograd::record("dropout", {x}, {out}, [apply](const GradList& g) { return GradList{apply(g[0])}; });
    return out;
  }
  // Elsewhere the mask is drawn on the host and multiplied both ways.
  const Tensor mask = x.dtype() == DType::Float64 ? dropout_mask<double>(x, seed, threshold, scale)
                                                  : dropout_mask<float>(x, seed, threshold, scale);
  Tensor out;
  {
    NoGradGuard ng;
    out = mul(x, mask);
  }
  autograd::record("dropout", {x}, {out}, [mask](const GradList& g) { return GradList{mul(g[0], mask)}; });
  return out;
}

}  // namespace ember
