// Kernel signatures for the fused optimizer updates (one pass over a parameter, its gradient
// and its state) and for gradient clipping. A backend without them gets the optimizers'
// tensor-op path instead (same operations in the same order), not the CPU fallback.
#pragma once
#include "core/kernels/kernel_key.h"
#include "core/kernels/tensor_arg.h"

namespace ember::kernels {

struct SgdUpdateArgs {
  double lr, momentum, dampening, weight_decay;
  bool nesterov;
  bool first;  // buf has no history: it is set to the step direction
};
/// SGD step in place on p (and buf when momentum != 0; buf may be nullptr otherwise).
/// p, g, buf: contiguous, same numel and dtype (float32 or float64). Each scalar is rounded to
/// the element type and each statement is one IEEE operation (no contraction), as the op path.
using SgdUpdateKernel = void(const TensorArg& p, const TensorArg& g, const TensorArg* buf, const SgdUpdateArgs& a);
inline constinit const KernelKey<SgdUpdateKernel> kSgdUpdate{"sgd_update"};

struct AdamUpdateArgs {
  double lr, beta1, beta2, eps, weight_decay;
  bool decoupled;  // AdamW: decay the weights instead of adding weight_decay * p to the gradient
  int64_t step;    // already incremented: 1 on the first update
};
/// Adam/AdamW step in place on p, m (first moment) and v (second moment); operands as for SGD.
using AdamUpdateKernel = void(const TensorArg& p, const TensorArg& g, const TensorArg& m, const TensorArg& v,
                              const AdamUpdateArgs& a);
inline constinit const KernelKey<AdamUpdateKernel> kAdamUpdate{"adam_update"};

/// Gradient clipping (optim::clip_grad_norm_). For a contiguous float32/float64 x: *out = the
/// sum of |x|^p over x for finite p, or max |x| (NaN wins) for infinite p, accumulated in double
/// in a fixed order whatever the threading (deterministic).
using GradNormKernel = void(const TensorArg& x, double p, double* out);
inline constinit const KernelKey<GradNormKernel> kGradNorm{"grad_norm"};
/// x[i] = x[i] * c in place, c rounded to x's dtype first (as mul(x, c)); contiguous x, float32/64.
using GradScaleKernel = void(const TensorArg& x, double c);
inline constinit const KernelKey<GradScaleKernel> kGradScale{"grad_scale"};

}  // namespace ember::kernels
