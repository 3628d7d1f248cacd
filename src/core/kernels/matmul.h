// Kernel signature for matrix products: one batched GEMM over strided operands. The op layer
// broadcasts the batch dims and expresses transposes through strides.
#pragma once
#include "core/kernels/kernel_key.h"
#include "core/kernels/tensor_arg.h"

namespace ember::kernels {

/// c[*, m, n] = alpha * sum_k a[*, m, k] * b[*, k, n] + beta * c[*, m, n] + bias[n]
///
/// a (*, M, K), b (*, K, N) and c (*, M, N) have the same rank and the same batch dims (*),
/// already broadcast by the op layer (a and b may have stride 0 there). Any strides are
/// allowed (a transposed operand is a view with swapped strides); c must not overlap a or b
/// and holds distinct elements. bias is (N) or nullptr. All operands share one floating dtype.
/// beta == 0 means c is not read. K may be 0 (c = beta * c + bias). Accumulates in double for
/// float64 and in float otherwise.
using MatmulKernel = void(const TensorArg& a, const TensorArg& b, const TensorArg& c, const TensorArg* bias,
                          double alpha, double beta);
inline constinit const KernelKey<MatmulKernel> kMatmul{"matmul"};

}  // namespace ember::kernels
