// CUDA batch norm and layer norm with the CPU reference's semantics (src/backends/cpu/norm.cpp):
// statistics in float32 (float64 for float64 inputs), sums accumulated in double, any strides.
// Batch norm's training forward and backward use cuDNN when the operands suit it (float32 or
// float64, contiguous, weight and bias given); kernels here cover everything else.
#pragma once
#include "core/kernels/norm.h"

namespace ember::cuda {

void batch_norm_stats(const TensorArg& x, const TensorArg& mean, const TensorArg& var);
void batch_norm_apply(const TensorArg& x, const TensorArg& mean, const TensorArg& rstd, const TensorArg* weight,
                      const TensorArg* bias, const TensorArg& out);
void batch_norm_forward(const TensorArg& x, const TensorArg* weight, const TensorArg* bias, double eps,
                        const TensorArg& out, const TensorArg& mean, const TensorArg& var, const TensorArg& rstd);
void batch_norm_backward(const TensorArg& grad, const TensorArg& x, const TensorArg& mean, const TensorArg& rstd,
                         const TensorArg* weight, bool training, const TensorArg* dx, const TensorArg* dweight,
                         const TensorArg* dbias);
void layer_norm_forward(const TensorArg& x, const TensorArg* weight, const TensorArg* bias, double eps,
                        const TensorArg& out, const TensorArg& mean, const TensorArg& rstd);
void layer_norm_backward(const TensorArg& grad, const TensorArg& x, const TensorArg& mean, const TensorArg& rstd,
                         const TensorArg* weight, const TensorArg* dx, const TensorArg* dweight, const TensorArg* dbias);

/// The cuDNN paths of batch norm (norm_cudnn.cpp): false, having done nothing, when the
/// operands do not suit cuDNN or EMBER_CUDA_CUDNN=0.
bool cudnn_batch_norm_forward(const TensorArg& x, const TensorArg* weight, const TensorArg* bias, double eps,
                              const TensorArg& out, const TensorArg& mean, const TensorArg& var, const TensorArg& rstd);
bool cudnn_batch_norm_backward(const TensorArg& grad, const TensorArg& x, const TensorArg& mean, const TensorArg& rstd,
                               const TensorArg* weight, bool training, const TensorArg* dx, const TensorArg* dweight,
                               const TensorArg* dbias);

}  // namespace ember::cuda
