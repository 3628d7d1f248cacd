// Softmax, log-softmax and the losses (fused cross-entropy with label smoothing, NLL, MSE, BCE-with-logits).
#pragma once
#include "ember/tensor.h"

namespace ember {

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
