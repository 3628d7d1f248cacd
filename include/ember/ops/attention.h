// Scaled dot-product attention (torch.nn.functional.scaled_dot_product_attention, PyTorch 2.x),
// one autograd node: GEMMs on the matmul kernel around one fused row kernel per direction.
#pragma once
#include "ember/tensor.h"

namespace ember {

/// softmax(q k^T * scale + mask) v, as torch.nn.functional.scaled_dot_product_attention (PyTorch 2.x).
/// q (*, L, E), k (*, S, E), v (*, S, Ev) with equal leading dims (no broadcasting needed) -> (*, L, Ev).
/// scale <= 0 means 1/sqrt(E). causal: query i attends to keys j <= i (PyTorch's top-left alignment,
/// tril(ones(L, S))); the mask is never materialised as an (L, S) tensor. dropout_p in [0,1): dropout on the
/// attention weights (applied whenever > 0, as PyTorch's functional form; pass 0 in eval).
///
/// Requires: q, k, v defined, on one device, of one floating dtype, rank >= 2 and equal rank; k and q
/// agree on E, k and v on S; dropout_p in [0, 1); scale finite. Otherwise throws ember::Error naming
/// the op and the shapes. Dropout draws one seed from the default generator (manual_seed fixes the
/// mask); element i of the row-major (*, L, S) weights is kept as dropout() keeps element i. Under
/// autocast the op runs in the low dtype (as matmul; the softmax itself computes in float32).
/// Where the device lacks the fused row kernels (core/kernels/attention.h) for the dtype (CPU,
/// OpenCL and CUDA have them; OpenCL without fp64 lacks float64) it composes matmul, masked_fill
/// with an (L, S) causal mask, softmax and dropout, with the same result.
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v, bool causal = false,
                                    double dropout_p = 0.0, double scale = 0.0);

}  // namespace ember
