// Single-row GEMM fast path (GEMV): c (1, N) = alpha * a (1, K) x b (K, N) + beta * c + bias.
// Batch-1 inference (linear on one sample) spends more time in oneDNN's per-call setup than in
// the arithmetic; these plain loops, vectorised by the compiler, skip it.
#pragma once
#include <cstdint>

#include "core/kernels/tensor_arg.h"

namespace ember::cpu {

/// Runs the matmul kernel contract (core/kernels/matmul.h) when it is a float32 GEMV: one
/// matrix (all batch dims of size 1), M == 1, a's row contiguous, and b with contiguous
/// columns (a transposed weight, as linear passes it) or contiguous rows. Threaded over N
/// only when the matrix is large. Returns false, having written nothing, otherwise.
bool gemv(const TensorArg& a, const TensorArg& b, const TensorArg& c, const TensorArg* bias, double alpha,
          double beta);

/// For tests: how many calls the GEMV path has taken.
uint64_t gemv_fast_calls();

}  // namespace ember::cpu
