// oneDNN fast paths for the pooling kernels: max pooling forward (inference only: training
// needs ember's arg-max indices, computed by the reference loop) and average pooling forward
// and backward. Each returns false, doing nothing, when oneDNN cannot take the case; the
// caller then runs its own loops.
#pragma once
#include <cstdint>

#include "core/kernels/pool.h"

namespace ember::cpu::onednn {

bool max_pool2d_forward_inference(const TensorArg& x, const TensorArg& out, const kernels::Pool2dGeometry& g);
bool avg_pool2d_forward(const TensorArg& x, const TensorArg& out, const kernels::Pool2dGeometry& g);
bool avg_pool2d_backward(const TensorArg& grad_out, const TensorArg& grad_x, const kernels::Pool2dGeometry& g);

/// How many pooling kernel calls oneDNN has served (tests check the fast path really ran).
int64_t pool2d_calls();

}  // namespace ember::cpu::onednn
