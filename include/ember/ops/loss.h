// Softmax, log-softmax and the losses (fused cross-entropy with label smoothing, NLL, MSE, BCE-with-logits).
#pragma once
#include "ember/tensor.h"

namespace ember {

/// exp(x) / sum(exp(x)) along dim (max-subtracted, stable for large |x|). Requires a floating
/// x and -max(dim,1) <= dim < max(dim,1). Differentiable.
Tensor softmax(const Tensor& x, int64_t dim);
/// x - logsumexp(x) along dim; same requirements as softmax. Differentiable.
Tensor log_softmax(const Tensor& x, int64_t dim);

enum class Reduction { None, Mean, Sum };
/// Fused log_softmax + nll over floating logits (N,C) and int64 class indices (N) (also (C) with
/// a 0-dim target, and (N,C,d1,...) with target (N,d1,...)), as torch.nn.functional.cross_entropy:
/// loss = (1-ls) * nll + ls * mean over classes of -log_softmax. Requires label_smoothing in
/// [0,1), C > 0 and every target in [0,C). Mean (over all samples) by default; None returns the
/// target's shape. Differentiable in logits.
Tensor cross_entropy(const Tensor& logits, const Tensor& target, double label_smoothing = 0.0,
                     Reduction reduction = Reduction::Mean);
/// Negative log-likelihood -log_probs[i, target_i] over floating log-probabilities (N,C) and
/// int64 targets (N) in [0,C) (same shape rules as cross_entropy). Differentiable in log_probs.
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, Reduction reduction = Reduction::Mean);
/// Mean squared error (input - target)^2; floating input, shapes must broadcast (None returns
/// the broadcast shape). Differentiable in both.
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
/// Numerically stable BCE on logits: max(x,0) - x*t + log(1 + exp(-|x|)). Requires a floating
/// x and a target of the same shape (values in [0,1]). Differentiable in both.
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target,
                                        Reduction reduction = Reduction::Mean);

}  // namespace ember
