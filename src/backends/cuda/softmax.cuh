// CUDA softmax / log-softmax (forward, backward) and the fused cross-entropy and NLL losses,
// with the CPU reference's semantics (src/backends/cpu/softmax.cpp).
#pragma once
#include "core/kernels/softmax.h"

namespace ember::cuda {

void softmax(const TensorArg& in, const TensorArg& out, bool log);
void softmax_backward(const TensorArg& grad, const TensorArg& out, const TensorArg& grad_in, bool log);
/// Throws ember::Error naming the first bad target found (this waits for the device).
void cross_entropy_forward(const TensorArg& logits, const TensorArg& target, const TensorArg& loss,
                           const TensorArg& lse, double label_smoothing);
void cross_entropy_backward(const TensorArg& logits, const TensorArg& target, const TensorArg& lse,
                            const TensorArg& grad, double scale, double label_smoothing, const TensorArg& dlogits);
void nll_forward(const TensorArg& log_probs, const TensorArg& target, const TensorArg& loss);
void nll_backward(const TensorArg& target, const TensorArg& grad, double scale, const TensorArg& dlog_probs);

}  // namespace ember::cuda
