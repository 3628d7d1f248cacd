// Internals of scaled_dot_product_attention shared with the tests: the composed form the op
// runs on backends without the fused row kernels.
#pragma once
#include "ember/tensor.h"

namespace ember::ops {

/// scaled_dot_product_attention composed from matmul, masked_fill (an (L, S) causal mask),
/// softmax and dropout, several autograd nodes. Same requirements and result (dropout mask
/// included, for one generator state) as the fused op; arguments already checked, scale > 0.
Tensor sdpa_composed(const Tensor& q, const Tensor& k, const Tensor& v, bool causal, double dropout_p, double scale);

}  // namespace ember::ops
