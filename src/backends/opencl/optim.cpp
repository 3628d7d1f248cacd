// OpenCL fused optimizer updates (see core/kernels/optim.h and kernels/optim.cl): the scalars
// are rounded to the element type on the host exactly as the CPU kernel rounds them.
#include <cmath>

#include "core/kernels/optim.h"
#include "launch.h"
#include "opencl_backend.h"

namespace ember::opencl {
namespace {

template <class T>
void sgd_typed(ClDevice& dev, const TensorArg& p, const TensorArg& g, const TensorArg* buf,
               const kernels::SgdUpdateArgs& a) {
  const int64_t n = p.numel();
  const TensorArg& b = buf ? *buf : p;  // unused without momentum
  Launch(dev, dev.kernel("optim", {{"T", p.dtype}}, "sgd_update"))
      .tensor(p).tensor(g).tensor(b).value(static_cast<cl_long>(n))
      .value(static_cast<T>(a.lr)).value(static_cast<T>(a.momentum)).value(static_cast<T>(1.0 - a.dampening))
      .value(static_cast<T>(a.weight_decay)).value(static_cast<cl_int>(a.weight_decay != 0)).value(static_cast<cl_int>(a.momentum != 0))
      .value(static_cast<cl_int>(a.nesterov)).value(static_cast<cl_int>(a.first)).run(n);
}

void sgd_update(const TensorArg& p, const TensorArg& g, const TensorArg* buf, const kernels::SgdUpdateArgs& a) {
  ClDevice& dev = device_of(p);
  if (p.numel() == 0) return;
  if (p.dtype == DType::Float64) sgd_typed<cl_double>(dev, p, g, buf, a);
  else sgd_typed<cl_float>(dev, p, g, buf, a);
}

template <class T>
void adam_typed(ClDevice& dev, const TensorArg& p, const TensorArg& g, const TensorArg& m, const TensorArg& v,
                const kernels::AdamUpdateArgs& a) {
  const int64_t n = p.numel();
  const double w = 1.0 - a.beta1;
  const double bc1 = 1.0 - std::pow(a.beta1, static_cast<double>(a.step));
  const double bc2 = 1.0 - std::pow(a.beta2, static_cast<double>(a.step));
  Launch(dev, dev.kernel("optim", {{"T", p.dtype}}, "adam_update"))
      .tensor(p).tensor(g).tensor(m).tensor(v).value(static_cast<cl_long>(n))
      .value(static_cast<T>(w)).value(static_cast<T>(1.0 - w)).value(static_cast<cl_int>(w < 0.5))
      .value(static_cast<T>(a.beta2)).value(static_cast<T>(1.0 - a.beta2)).value(static_cast<T>(a.weight_decay))
      .value(static_cast<T>(a.eps)).value(static_cast<T>(-(a.lr / bc1))).value(static_cast<T>(std::sqrt(bc2)))
      .value(static_cast<T>(1.0 - a.lr * a.weight_decay)).value(static_cast<cl_int>(a.weight_decay != 0))
      .value(static_cast<cl_int>(a.decoupled)).run(n);
}

void adam_update(const TensorArg& p, const TensorArg& g, const TensorArg& m, const TensorArg& v,
                 const kernels::AdamUpdateArgs& a) {
  ClDevice& dev = device_of(p);
  if (p.numel() == 0) return;
  if (p.dtype == DType::Float64) adam_typed<cl_double>(dev, p, g, m, v, a);
  else adam_typed<cl_float>(dev, p, g, m, v, a);
}

}  // namespace

void register_optim_kernels(KernelTable& t, DTypeMask computes) {
  t.set(kernels::kSgdUpdate, sgd_update, computes);
  t.set(kernels::kAdamUpdate, adam_update, computes);
}

}  // namespace ember::opencl
