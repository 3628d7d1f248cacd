// oneDNN fast path for the batched GEMM kernel (see core/kernels/matmul.h for the contract).
#pragma once
#include <cstddef>
#include <cstdint>

#include "core/kernels/tensor_arg.h"

namespace ember::cpu::onednn {

/// Runs the matmul kernel contract with a cached dnnl matmul primitive. Returns false (having
/// written nothing) when oneDNN cannot do it well: float64, zero-size dims, rank > 12,
/// broadcast (stride 0) matrix dims, or only oneDNN's reference implementation available.
bool matmul(const TensorArg& a, const TensorArg& b, const TensorArg& c, const TensorArg* bias, double alpha,
            double beta);

/// Statistics for tests: how many calls ran on oneDNN, and how many primitives are cached.
uint64_t matmul_fast_calls();
size_t matmul_cache_size();

}  // namespace ember::cpu::onednn
