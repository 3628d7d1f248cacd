// Neural-network ops: convolution, pooling, normalisation, dropout, softmax and losses.
// Fast paths: oneDNN convolution and pooling on the CPU backend.
#pragma once
#include <array>

#include "ember/tensor.h"

namespace ember {

struct Conv2dParams {
  std::array<int64_t, 2> stride{1, 1};
  std::array<int64_t, 2> padding{0, 0};
  std::array<int64_t, 2> dilation{1, 1};
  int64_t groups = 1;
};
/// x (N,C,H,W), weight (O, C/groups, kH, kW), bias (O) or undefined → (N,O,H',W').
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(), const Conv2dParams& p = {});

struct Pool2dParams {
  std::array<int64_t, 2> kernel{2, 2};
  std::array<int64_t, 2> stride{0, 0};  // 0: same as kernel
  std::array<int64_t, 2> padding{0, 0};
};
/// x (N,C,H,W). Padding must be at most half the kernel.
Tensor max_pool2d(const Tensor& x, const Pool2dParams& p);
/// Average pooling; padded zeros count in the divisor (PyTorch count_include_pad=true).
Tensor avg_pool2d(const Tensor& x, const Pool2dParams& p);
/// x (N,C,H,W) → (N,C,out_h,out_w) with PyTorch's adaptive bin edges.
Tensor adaptive_avg_pool2d(const Tensor& x, std::array<int64_t, 2> out_size);

/// Batch norm over (N,C,*) per channel C. In training, normalises with batch statistics and,
/// when running_mean/var are defined, updates them in place (unbiased var, momentum).
/// In eval, uses the running statistics. weight/bias (C) may be undefined.
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, bool training, double momentum = 0.1,
                  double eps = 1e-5);
/// Layer norm over the last normalized_shape.size() dims; weight/bias shaped normalized_shape or undefined.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);
/// Zeroes elements with probability p and scales the rest by 1/(1-p) when training. Requires 0 <= p < 1... p=1 gives zeros.
Tensor dropout(const Tensor& x, double p, bool training);

Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);

enum class Reduction { None, Mean, Sum };
/// Fused log_softmax + nll over logits (N,C) and int64 class indices (N), with label smoothing
/// in [0,1). Indices must be in [0,C). Mean reduction by default.
Tensor cross_entropy(const Tensor& logits, const Tensor& target, double label_smoothing = 0.0,
                     Reduction reduction = Reduction::Mean);
/// Negative log-likelihood over log-probabilities (N,C) and int64 targets (N).
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, Reduction reduction = Reduction::Mean);
/// Mean squared error; shapes must broadcast.
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
/// Numerically stable BCE on logits; target same shape, values in [0,1].
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target,
                                        Reduction reduction = Reduction::Mean);

}  // namespace ember
