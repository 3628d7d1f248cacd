// CUDA 2-D pooling over contiguous NCHW: max (with the CPU's flat arg-max indices), average
// (count_include_pad) and adaptive average, forward and backward. cuDNN serves the forwards
// that need no indices; the rest are kernels here whose window arithmetic is core/kernel_math.h's.
#pragma once
#include "core/kernels/pool.h"

namespace ember::cuda {

/// kernels::MaxPool2dForwardKernel. With indices: a kernel writing h*W + w of each window's
/// first maximum (first NaN); without: cuDNN max pooling (NaN propagating).
void max_pool2d_forward(const TensorArg& x, const TensorArg& out, const TensorArg* indices, const kernels::Pool2dGeometry& g);
/// kernels::MaxPool2dBackwardKernel: each input element gathers the gradients of the windows
/// covering it whose index names it (deterministic, no atomics; indices must come from the
/// forward with window g, as the contract says).
void max_pool2d_backward(const TensorArg& grad_out, const TensorArg& indices, const TensorArg& grad_x,
                         const kernels::Pool2dGeometry& g);
void avg_pool2d_forward(const TensorArg& x, const TensorArg& out, const kernels::Pool2dGeometry& g);
void avg_pool2d_backward(const TensorArg& grad_out, const TensorArg& grad_x, const kernels::Pool2dGeometry& g);
void adaptive_avg_pool2d_forward(const TensorArg& x, const TensorArg& out);
void adaptive_avg_pool2d_backward(const TensorArg& grad_out, const TensorArg& grad_x);

}  // namespace ember::cuda
