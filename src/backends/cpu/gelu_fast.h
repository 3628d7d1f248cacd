// The float32 GELU fast path: forward and backward on 8-float vectors with a rational erf
// (the reference computes in double with std::erf, one call per element, which was a tenth of a
// small GPT's training step). Used by the elementwise kernels when fast paths are on.
#pragma once
#include "core/kernels/tensor_arg.h"

namespace ember::cpu {

/// out = GELU(in) (exact form, x * Phi(x)) for float32 operands that flat_walk allows (one flat
/// run each). Absolute error below 1e-6 of the double reference for |x| <= 10 (erf's rational
/// approximation is within about 2e-7; exp within 2 ulp). Returns false when it does not apply.
bool gelu_fast(const TensorArg& in, const TensorArg& out, bool flat);
/// out = g * GELU'(x) = g * (Phi(x) + x phi(x)), same conditions and accuracy.
bool gelu_backward_fast(const TensorArg& g, const TensorArg& x, const TensorArg& out, bool flat);

}  // namespace ember::cpu
