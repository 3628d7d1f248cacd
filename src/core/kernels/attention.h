// Kernel signatures for scaled dot-product attention's row pass: the op runs the two GEMMs of
// each direction on the matmul kernel (S = scale * q k^T, O = P v; backward dV = Pd^T dO,
// dPd = dO v^T, dQ = dS k, dK = dS^T q) and these kernels do everything between them in one
// pass over the (B, L, S) score rows: causal mask from indices, softmax and dropout forward;
// dropout mask and softmax gradient backward.
// Both kernels are optional (core/kernels/fused.h, is_optional_kernel): on a backend without
// them, scaled_dot_product_attention composes the same result from matmul, masked_fill,
// softmax and dropout.
#pragma once
#include <cstdint>

#include "core/kernels/kernel_key.h"
#include "core/kernels/tensor_arg.h"

namespace ember::kernels {

/// Row pass of the forward. s: (B, L, S) contiguous scores, already scaled. Writes
/// p = softmax(s + mask) along the last dim, where with causal the mask keeps keys j <= i of
/// query row i (PyTorch's top-left tril(ones(L, S))) and zeroes the others. p may be s itself.
/// pd, when non-null ((B, L, S) contiguous), receives p with dropout: pd[i] = p[i] *
/// (dropout_uniform(seed, first + i) >= threshold ? keep : 0), i the row-major index in this call
/// (first: the index of its first element in the whole batch, when the op calls per chunk), keep
/// rounded to the dtype first, exactly as the dropout kernel (fused.h) applied to p. One floating dtype for
/// all (16-bit floats compute in float); row maxima subtracted for stability.
using AttentionSoftmaxKernel = void(const TensorArg& s, const TensorArg& p, const TensorArg* pd, bool causal,
                                    uint64_t seed, uint64_t first, uint64_t threshold, double keep);
inline constinit const KernelKey<AttentionSoftmaxKernel> kAttentionSoftmax{"attention_softmax"};

/// Row pass of the backward. dpd: (B, L, S) contiguous gradient of the dropped weights pd;
/// p: the forward's p. Writes ds = scale * p * (g - sum_row(g * p)) with g = dpd * mask, mask
/// the forward's dropout mask redrawn from (seed, first, threshold, keep) (no dropout: threshold 0
/// and keep 1), and zero above the causal diagonal. ds ((B, L, S) contiguous) may be dpd itself.
using AttentionSoftmaxBackwardKernel = void(const TensorArg& dpd, const TensorArg& p, const TensorArg& ds,
                                            bool causal, double scale, uint64_t seed, uint64_t first,
                                            uint64_t threshold, double keep);
inline constinit const KernelKey<AttentionSoftmaxBackwardKernel> kAttentionSoftmaxBackward{
    "attention_softmax_backward"};

}  // namespace ember::kernels
