// Normalisation and regularisation ops: batch norm (and its fused BN → ReLU → 2x2 max pool
// training block), layer norm, dropout.
#pragma once
#include <array>

#include "ember/tensor.h"

namespace ember {

/// Batch norm over x (N,C,*) per channel C, as torch.nn.functional.batch_norm. Requires a
/// floating x with dim >= 2; running_mean/running_var/weight/bias shaped (C) or undefined
/// (the running stats both or neither); eps > 0. In training, normalises with the batch mean
/// and biased variance and, when the running stats are defined, updates them in place
/// (running = (1-momentum)*running + momentum*batch, with the unbiased variance); needs more
/// than one value per channel. In eval, uses the running statistics (the batch statistics when
/// they are undefined). Differentiable in x, weight and bias.
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, bool training, double momentum = 0.1,
                  double eps = 1e-5);
/// max_pool2d(relu(batch_norm(x, ..., training = true)), kernel 2, stride 2) in one pass where
/// the device has the fused kernel (the CPU does; elsewhere the three ops run): what
/// nn::Sequential runs for BatchNorm2d → ReLU → MaxPool2d(2) in training mode. Requires x
/// (N,C,H,W) floating with H, W >= 2 and N*H*W > 1, and the arguments batch_norm requires;
/// updates the running stats as batch_norm does. Returns (N,C,H/2,W/2); the gradient reaches
/// each window's first maximum when it is > 0, then batch norm's backward. Differentiable in x,
/// weight and bias. Saves only x, the statistics and one byte per output for the backward,
/// instead of the normalised map, the rectified map and the pooling indices. Under autocast it
/// computes in float32 like batch_norm (a float32 result); a bfloat16 x is then read as it is,
/// and its gradient returned in bfloat16, where the device has the fused kernel.
Tensor batch_norm_relu_max_pool2d(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                                  const Tensor& weight, const Tensor& bias, double momentum = 0.1, double eps = 1e-5);
/// Layer norm over the last normalized_shape.size() dims (biased variance, as PyTorch).
/// Requires a non-empty normalized_shape equal to x's trailing dims, weight/bias shaped
/// normalized_shape or undefined, eps > 0. Differentiable in x, weight and bias.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);
/// When training, zeroes each element with probability p (mask drawn from the default
/// generator, see random.h) and scales the rest by 1/(1-p); p == 1 gives all zeros. When not
/// training, or p == 0, returns x unchanged. Requires 0 <= p <= 1 (floating x when training).
/// The backward multiplies by the same mask.
Tensor dropout(const Tensor& x, double p, bool training);

}  // namespace ember
