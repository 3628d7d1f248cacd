// CUDA 2-D convolution through cuDNN: forward (+ bias via cudnnAddTensor), gradient of the
// input, gradients of the weight and bias. All arithmetic is cuDNN's, so this family is plain
// C++ (conv.cpp) with no kernels of its own.
#pragma once
#include "core/kernels/conv.h"

namespace ember::cuda {

/// kernels::Conv2dForwardKernel. float32 uses TF32 only when tf32_allowed(); float16/bfloat16
/// use tensor cores with float32 accumulation; float64 computes in double.
void conv2d_forward(const TensorArg& x, const TensorArg& w, const TensorArg* bias, const TensorArg& out,
                    const kernels::Conv2dGeometry& g);
/// kernels::Conv2dBackwardInputKernel.
void conv2d_backward_input(const TensorArg& grad_out, const TensorArg& w, const TensorArg& grad_x,
                           const kernels::Conv2dGeometry& g);
/// kernels::Conv2dBackwardWeightKernel.
void conv2d_backward_weight(const TensorArg& grad_out, const TensorArg& x, const TensorArg& grad_w,
                            const TensorArg* grad_bias, const kernels::Conv2dGeometry& g);

}  // namespace ember::cuda
