// CUDA row kernels of scaled dot-product attention (signatures and semantics in
// core/kernels/attention.h; the CPU reference is src/backends/cpu/attention.cpp).
#pragma once
#include "core/kernels/attention.h"

namespace ember::cuda {

void attention_softmax(const TensorArg& s, const TensorArg& p, const TensorArg* pd, bool causal, uint64_t seed,
                       uint64_t first, uint64_t threshold, double keep);
void attention_softmax_backward(const TensorArg& dpd, const TensorArg& p, const TensorArg& ds, bool causal,
                                double scale, uint64_t seed, uint64_t first, uint64_t threshold, double keep);

}  // namespace ember::cuda
