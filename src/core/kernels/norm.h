// Kernel signatures for batch norm and layer norm. Batch norm sees x as (N,C,S) (S = product
// of the spatial dims), layer norm sees x as (M,N) rows; any strides. Statistics (mean, var,
// rstd) are float32, or float64 for float64 inputs.
#pragma once
#include "core/kernels/kernel_key.h"
#include "core/kernels/tensor_arg.h"

namespace ember::kernels {

/// Per-channel batch statistics of x (N,C,S): mean (C) and biased variance (C), two-pass,
/// accumulated in double.
using BatchNormStatsKernel = void(const TensorArg& x, const TensorArg& mean, const TensorArg& var);
inline constinit const KernelKey<BatchNormStatsKernel> kBatchNormStats{"batch_norm_stats"};

/// out (N,C,S) = (x - mean[c]) * rstd[c] * weight[c] + bias[c]; weight/bias may be null
/// (1 and 0). weight/bias/out have x's dtype; mean/rstd the statistics dtype.
using BatchNormApplyKernel = void(const TensorArg& x, const TensorArg& mean, const TensorArg& rstd,
                                  const TensorArg* weight, const TensorArg* bias, const TensorArg& out);
inline constinit const KernelKey<BatchNormApplyKernel> kBatchNormApply{"batch_norm_apply"};

/// Training-mode forward with batch statistics in one call: mean (C), biased var (C),
/// rstd (C) = 1/sqrt(var + eps) as BatchNormStats would give, and out (N,C,S) as
/// BatchNormApply. Lets a backend normalise each channel while it is still in cache.
using BatchNormForwardKernel = void(const TensorArg& x, const TensorArg* weight, const TensorArg* bias, double eps,
                                    const TensorArg& out, const TensorArg& mean, const TensorArg& var,
                                    const TensorArg& rstd);
inline constinit const KernelKey<BatchNormForwardKernel> kBatchNormForward{"batch_norm_forward"};

/// Batch norm backward over (N,C,S) with M = N*S, xhat = (x-mean)*rstd:
/// dbias = sum g, dweight = sum g*xhat (per channel, when non-null);
/// training: dx = w*rstd/M * (M*g - sum g - xhat * sum g*xhat); eval: dx = w*rstd*g.
/// dx (when non-null) is contiguous (N,C,S) in x's dtype.
using BatchNormBackwardKernel = void(const TensorArg& grad, const TensorArg& x, const TensorArg& mean,
                                     const TensorArg& rstd, const TensorArg* weight, bool training,
                                     const TensorArg* dx, const TensorArg* dweight, const TensorArg* dbias);
inline constinit const KernelKey<BatchNormBackwardKernel> kBatchNormBackward{"batch_norm_backward"};

/// Layer norm forward over rows of x (M,N): mean (M), rstd (M) = 1/sqrt(biased var + eps),
/// out (M,N) = (x - mean) * rstd * weight + bias; weight/bias (N) may be null.
using LayerNormForwardKernel = void(const TensorArg& x, const TensorArg* weight, const TensorArg* bias, double eps,
                                    const TensorArg& out, const TensorArg& mean, const TensorArg& rstd);
inline constinit const KernelKey<LayerNormForwardKernel> kLayerNormForward{"layer_norm_forward"};

/// Layer norm backward: with gw = g*w, dx = rstd/N * (N*gw - sum gw - xhat * sum gw*xhat) per
/// row; dweight = sum over rows g*xhat, dbias = sum over rows g. Null outputs are skipped.
using LayerNormBackwardKernel = void(const TensorArg& grad, const TensorArg& x, const TensorArg& mean,
                                     const TensorArg& rstd, const TensorArg* weight, const TensorArg* dx,
                                     const TensorArg* dweight, const TensorArg* dbias);
inline constinit const KernelKey<LayerNormBackwardKernel> kLayerNormBackward{"layer_norm_backward"};

}  // namespace ember::kernels
