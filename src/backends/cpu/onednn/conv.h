// oneDNN fast paths for the conv2d kernels (forward, grad input, grad weight/bias). Each returns
// false, doing nothing, when oneDNN cannot take the case (float64, an unsupported dtype on
// this CPU, or only oneDNN's reference implementation); the caller then runs its own loops.
#pragma once
#include <cstdint>

#include "core/kernels/conv.h"

namespace ember::cpu::onednn {

bool conv2d_forward(const TensorArg& x, const TensorArg& w, const TensorArg* bias, const TensorArg& out,
                    const kernels::Conv2dGeometry& g);
bool conv2d_backward_input(const TensorArg& grad_out, const TensorArg& w, const TensorArg& grad_x,
                           const kernels::Conv2dGeometry& g);
bool conv2d_backward_weight(const TensorArg& grad_out, const TensorArg& x, const TensorArg& grad_w,
                            const TensorArg* grad_bias, const kernels::Conv2dGeometry& g);

/// Both gradients of one convolution (grad_x and grad_w non-null; grad_bias optional), with
/// grad_out reordered once for the two primitives. False (nothing done) when either gradient
/// is missing or oneDNN cannot take the case.
bool conv2d_backward(const TensorArg& grad_out, const TensorArg& x, const TensorArg& w, const TensorArg* grad_x,
                     const TensorArg* grad_w, const TensorArg* grad_bias, const kernels::Conv2dGeometry& g);

/// How many conv2d kernel calls oneDNN has served, and how many primitives it has created
/// (tests check the fast path really ran and that repeated shapes reuse cached primitives).
int64_t conv2d_calls();
/// How many conv2d_backward calls staged grad_out once for both primitives.
int64_t conv2d_shared_stagings();
int64_t conv2d_primitives_created();

}  // namespace ember::cpu::onednn
