// SGD/Adam updates: the device's fused kernel (kernel table: sgd_update / adam_update) when it
// has one, else tensor ops. Both perform the same operations in the same order and precision.
#include "optim/update_kernels.h"

#include <cmath>

#include "core/kernels/optim.h"
#include "ember/autograd.h"
#include "ember/ops/elementwise.h"
#include "ops/dispatch.h"

#include "core/exact_fp.h"

namespace ember::optim::kernels {

namespace {
const ops::KernelRef<ember::kernels::SgdUpdateKernel>& sgd_kernel() {
  static const ops::KernelRef<ember::kernels::SgdUpdateKernel> k(ember::kernels::kSgdUpdate);
  return k;
}
const ops::KernelRef<ember::kernels::AdamUpdateKernel>& adam_kernel() {
  static const ops::KernelRef<ember::kernels::AdamUpdateKernel> k(ember::kernels::kAdamUpdate);
  return k;
}
bool fusable(const Tensor& p, const Tensor& g) {
  return p.is_contiguous() && (p.dtype() == DType::Float32 || p.dtype() == DType::Float64) && g.dtype() == p.dtype() &&
         g.device() == p.device();
}
}  // namespace

bool has_fused_sgd(const Tensor& p, const Tensor& g) { return fusable(p, g) && sgd_kernel()(p.device()).native(); }
bool has_fused_adam(const Tensor& p, const Tensor& g) { return fusable(p, g) && adam_kernel()(p.device()).native(); }

void sgd_fused(const Tensor& p, const Tensor& g, const Tensor& buf, bool first, const SGDArgs& a) {
  Tensor gc = g.is_contiguous() ? g : g.contiguous();
  TensorArg b = buf.defined() ? arg_of(buf) : TensorArg{};
  sgd_kernel()(p.device())(arg_of(p), arg_of(gc), buf.defined() ? &b : nullptr,
                           {a.lr, a.momentum, a.dampening, a.weight_decay, a.nesterov, first});
}

void adam_fused(const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, const AdamArgs& a) {
  Tensor gc = g.is_contiguous() ? g : g.contiguous();
  adam_kernel()(p.device())(arg_of(p), arg_of(gc), arg_of(m), arg_of(v),
                            {a.lr, a.beta1, a.beta2, a.eps, a.weight_decay, a.decoupled, a.step});
}

void sgd_generic(const Tensor& p, const Tensor& g, const Tensor& buf, bool first, const SGDArgs& a) {
  NoGradGuard ng;
  Tensor d = g;
  if (a.weight_decay != 0) d = add(d, mul(p, a.weight_decay));
  if (a.momentum != 0) {
    if (first) {
      buf.copy_(d);
    } else {
      buf.copy_(add(mul(buf, a.momentum), mul(d, 1.0 - a.dampening)));
    }
    d = a.nesterov ? add(d, mul(buf, a.momentum)) : buf;
  }
  p.copy_(sub(p, mul(d, a.lr)));
}

void adam_generic(const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, const AdamArgs& a) {
  NoGradGuard ng;
  Tensor x = p, gi = g;
  if (a.weight_decay != 0) {
    if (a.decoupled)
      x = mul(x, 1.0 - a.lr * a.weight_decay);
    else
      gi = add(gi, mul(x, a.weight_decay));
  }
  const double w = 1.0 - a.beta1;
  Tensor diff = sub(gi, m);
  m.copy_(w < 0.5 ? add(m, mul(diff, w)) : sub(gi, mul(diff, 1.0 - w)));
  v.copy_(add(mul(v, a.beta2), mul(mul(gi, 1.0 - a.beta2), gi)));
  const double bc1 = 1.0 - std::pow(a.beta1, static_cast<double>(a.step));
  const double bc2 = 1.0 - std::pow(a.beta2, static_cast<double>(a.step));
  Tensor denom = add(div(sqrt(v), std::sqrt(bc2)), a.eps);
  p.copy_(add(x, div(mul(m, -(a.lr / bc1)), denom)));
}

}  // namespace ember::optim::kernels
