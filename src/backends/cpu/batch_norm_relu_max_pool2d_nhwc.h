// Channels-last variants of the fused BatchNorm → ReLU → MaxPool(2) CPU kernels
// (batch_norm_relu_max_pool2d_nhwc.cpp); batch_norm_relu_max_pool2d.cpp dispatches to them.
#pragma once
#include "core/kernels/tensor_arg.h"

namespace ember::cpu {

/// BatchNormReluMaxPool2dForwardKernel (core/kernels/fused.h) for x, out and code channels-last.
void batch_norm_relu_max_pool2d_forward_nhwc(const TensorArg& x, const TensorArg* w, const TensorArg* b, double eps,
                                       const TensorArg& out, const TensorArg& code, const TensorArg& mean,
                                       const TensorArg& var, const TensorArg& rstd);

/// BatchNormReluMaxPool2dBackwardKernel for grad, code, x and dx channels-last.
void batch_norm_relu_max_pool2d_backward_nhwc(const TensorArg& grad, const TensorArg& code, const TensorArg& x,
                                        const TensorArg& mean, const TensorArg& rstd, const TensorArg* w,
                                        const TensorArg* dx, const TensorArg* dw, const TensorArg* db);

}  // namespace ember::cpu
