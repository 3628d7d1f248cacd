// Matrix products. Fast path: oneDNN matmul on the CPU backend.
#pragma once
#include "ember/tensor.h"

namespace ember {

/// PyTorch matmul semantics: 1-D x 1-D dot, 2-D x 2-D, batched with broadcast batch dims,
/// 1-D operands promoted by a unit dim. Requires matching inner dims and floating dtypes.
Tensor matmul(const Tensor& a, const Tensor& b);
/// y = x W^T + b with x (*, in), weight (out, in), bias (out) or undefined.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace ember
