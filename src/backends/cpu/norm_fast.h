// Batch norm float32 fast paths: NCHW planes (norm_fast.cpp) and channels-last rows
// (norm_fast_nhwc.cpp); same contracts as the batch norm kernels of core/kernels/norm.h, with x
// viewed as (N,C,S). Each returns false, doing nothing, when the input does not qualify (not
// float32; bn_*_fast: spatial dim not contiguous or shorter than 16; bn_*_nhwc: not dense rows
// of C >= 2 contiguous channels, or another operand not in that layout).
#pragma once
#include "core/kernels/tensor_arg.h"

namespace ember::cpu {

bool bn_stats_fast(const TensorArg& x, const TensorArg& mean, const TensorArg& var);
bool bn_apply_fast(const TensorArg& x, const TensorArg& mean, const TensorArg& rstd, const TensorArg* weight,
                   const TensorArg* bias, const TensorArg& out);
bool bn_forward_fast(const TensorArg& x, const TensorArg* weight, const TensorArg* bias, double eps,
                     const TensorArg& out, const TensorArg& mean, const TensorArg& var, const TensorArg& rstd);
bool bn_backward_fast(const TensorArg& grad, const TensorArg& x, const TensorArg& mean, const TensorArg& rstd,
                      const TensorArg* weight, bool training, const TensorArg* dx, const TensorArg* dweight,
                      const TensorArg* dbias);

bool bn_stats_nhwc(const TensorArg& x, const TensorArg& mean, const TensorArg& var);
bool bn_apply_nhwc(const TensorArg& x, const TensorArg& mean, const TensorArg& rstd, const TensorArg* weight,
                   const TensorArg* bias, const TensorArg& out);
bool bn_forward_nhwc(const TensorArg& x, const TensorArg* weight, const TensorArg* bias, double eps,
                     const TensorArg& out, const TensorArg& mean, const TensorArg& var, const TensorArg& rstd);
bool bn_backward_nhwc(const TensorArg& grad, const TensorArg& x, const TensorArg& mean, const TensorArg& rstd,
                      const TensorArg* weight, bool training, const TensorArg* dx, const TensorArg* dweight,
                      const TensorArg* dbias);

}  // namespace ember::cpu
