// How a strided batched matmul maps onto one column-major cuBLAS / cuBLASLt call: which
// operands can be used in place (one leading dimension, one batch stride), which must be
// copied first, and the transposes and leading dimensions of the call. Plain C++ with no CUDA
// types, so tests/backends/cuda/gemm_plan_test.cpp checks it on every machine.
#pragma once
#include <cstdint>

#include "ember/shape.h"

namespace ember::cuda {

/// One operand of shape (*, rows, cols) as a BLAS matrix.
struct GemmMatrix {
  bool ok = false;         // usable in place: one storage order, a valid ld and one batch stride
  bool row_major = true;   // storage order of each (rows x cols) matrix
  int64_t ld = 0;          // leading dimension in that order
  int64_t batch_stride = 0;  // elements between consecutive matrices of the flattened batch
};

/// The layout of an operand with these sizes/strides (rank >= 2; batch = all dims but the
/// last two, already broadcast to the output's batch sizes, stride 0 allowed).
GemmMatrix gemm_layout(const Shape& sizes, const Shape& strides);

/// A column-major GEMM computing C = op(A') op(B') for every batch entry.
struct GemmCall {
  bool swap = false;   // A' is b and B' is a (C stored row-major: C^T = B^T A^T)
  bool trans_a = false, trans_b = false;
  int64_t m = 0, n = 0, k = 0;
  int64_t lda = 0, ldb = 0, ldc = 0;
  int64_t stride_a = 0, stride_b = 0, stride_c = 0;
};

/// The call for c (M x N) = a (M x K) @ b (K x N) with usable layouts (all .ok).
GemmCall plan_gemm(const GemmMatrix& a, const GemmMatrix& b, const GemmMatrix& c, int64_t M, int64_t N, int64_t K);

}  // namespace ember::cuda
