// Kernel signatures for softmax / log-softmax and the fused losses built on them
// (cross-entropy with label smoothing, NLL). The op layer moves the softmax dim last, so the
// kernels see [rows..., C] with arbitrary strides; class targets are int64.
#pragma once
#include "core/kernels/kernel_key.h"
#include "core/kernels/tensor_arg.h"

namespace ember::kernels {

/// out = softmax(in) (or log_softmax when log) along the last dim. in/out: [rows..., C], any
/// strides, same dtype (16-bit floats compute in float). Max-subtracted for stability.
using SoftmaxKernel = void(const TensorArg& in, const TensorArg& out, bool log);
inline constinit const KernelKey<SoftmaxKernel> kSoftmax{"softmax"};

/// grad_in from grad and the forward output (all [rows..., C], any strides, same dtype):
/// softmax: y * (g - sum(g*y)); log_softmax: g - exp(y) * sum(g).
using SoftmaxBackwardKernel = void(const TensorArg& grad, const TensorArg& out, const TensorArg& grad_in, bool log);
inline constinit const KernelKey<SoftmaxBackwardKernel> kSoftmaxBackward{"softmax_backward"};

/// Fused cross-entropy forward. logits (N,C) any strides; target (N) int64; loss (N) in the
/// logits dtype; lse (N) in float32 (float64 for float64 logits) receives log-sum-exp per row.
/// loss_i = (1-ls) * (lse_i - x[i,t_i]) + ls * (lse_i - mean_j x[i,j]).
/// Throws ember::Error when a target is outside [0,C).
using CrossEntropyForwardKernel = void(const TensorArg& logits, const TensorArg& target, const TensorArg& loss,
                                       const TensorArg& lse, double label_smoothing);
inline constinit const KernelKey<CrossEntropyForwardKernel> kCrossEntropyForward{"cross_entropy_forward"};

/// dlogits (N,C contiguous) = scale * grad_i * (exp(x - lse_i) - (1-ls)*onehot(t_i) - ls/C).
/// grad (N) may have stride 0 (a broadcast scalar gradient).
using CrossEntropyBackwardKernel = void(const TensorArg& logits, const TensorArg& target, const TensorArg& lse,
                                        const TensorArg& grad, double scale, double label_smoothing,
                                        const TensorArg& dlogits);
inline constinit const KernelKey<CrossEntropyBackwardKernel> kCrossEntropyBackward{"cross_entropy_backward"};

/// NLL forward: loss_i = -log_probs[i, t_i]. log_probs (N,C) any strides, target (N) int64,
/// loss (N) in log_probs' dtype. Throws ember::Error when a target is outside [0,C).
using NllForwardKernel = void(const TensorArg& log_probs, const TensorArg& target, const TensorArg& loss);
inline constinit const KernelKey<NllForwardKernel> kNllForward{"nll_forward"};

/// NLL backward: dlog_probs (N,C contiguous) = -scale * grad_i at [i, t_i], zero elsewhere.
using NllBackwardKernel = void(const TensorArg& target, const TensorArg& grad, double scale,
                               const TensorArg& dlog_probs);
inline constinit const KernelKey<NllBackwardKernel> kNllBackward{"nll_backward"};

}  // namespace ember::kernels
