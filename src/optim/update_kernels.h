// The parameter updates of SGD and Adam/AdamW, two ways: the device's fused kernel over
// contiguous float32/float64 buffers (core/kernels/optim.h), and a generic path from tensor ops
// (any device/dtype). Both perform the same operations in the same order and precision.
#pragma once
#include "ember/tensor.h"

namespace ember::optim::kernels {

struct SGDArgs {
  double lr, momentum, dampening, weight_decay;
  bool nesterov;
};
/// Whether p's device has a fused kernel for p and g (contiguous p, float32/float64, same dtype).
bool has_fused_sgd(const Tensor& p, const Tensor& g);
bool has_fused_adam(const Tensor& p, const Tensor& g);

/// Updates p (and buf when momentum != 0) in place. first: buf has no history (it is set to d).
/// Fused: requires has_fused_sgd(p, g); buf may be undefined without momentum.
void sgd_fused(const Tensor& p, const Tensor& g, const Tensor& buf, bool first, const SGDArgs& a);
void sgd_generic(const Tensor& p, const Tensor& g, const Tensor& buf, bool first, const SGDArgs& a);

struct AdamArgs {
  double lr, beta1, beta2, eps, weight_decay;
  bool decoupled;
  int64_t step;  // already incremented: 1 on the first update
};
void adam_fused(const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, const AdamArgs& a);
void adam_generic(const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, const AdamArgs& a);

}  // namespace ember::optim::kernels
