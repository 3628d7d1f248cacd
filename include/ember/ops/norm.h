// Normalisation and regularisation ops: batch norm, layer norm, dropout.
#pragma once
#include <array>

#include "ember/tensor.h"

namespace ember {

/// Batch norm over (N,C,*) per channel C. In training, normalises with batch statistics and,
/// when running_mean/var are defined, updates them in place (unbiased var, momentum).
/// In eval, uses the running statistics. weight/bias (C) may be undefined.
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, bool training, double momentum = 0.1,
                  double eps = 1e-5);
/// Layer norm over the last normalized_shape.size() dims; weight/bias shaped normalized_shape or undefined.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);
/// Zeroes elements with probability p and scales the rest by 1/(1-p) when training. Requires 0 <= p < 1... p=1 gives zeros.
Tensor dropout(const Tensor& x, double p, bool training);

}  // namespace ember
