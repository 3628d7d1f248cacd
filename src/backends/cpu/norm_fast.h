// Batch norm float32 fast paths (see norm_fast.cpp); same contracts as the batch norm kernels
// of core/kernels/norm.h. Each returns false, doing nothing, when the input does not qualify
// (not float32, spatial dim not contiguous or shorter than 16).
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

}  // namespace ember::cpu
