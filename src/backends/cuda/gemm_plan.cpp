// Mapping strided batched matrix products onto column-major BLAS calls (see gemm_plan.h).
#include "backends/cuda/gemm_plan.h"

#include <algorithm>

namespace ember::cuda {

GemmMatrix gemm_layout(const Shape& sizes, const Shape& strides) {
  GemmMatrix g;
  const size_t nd = sizes.size();
  if (nd < 2) return g;
  const int64_t R = sizes[nd - 2], C = sizes[nd - 1], sr = strides[nd - 2], sc = strides[nd - 1];
  // Storage order: row-major needs unit column steps and rows at least a row apart; a single
  // row or column makes the other stride irrelevant.
  if ((sc == 1 || C == 1) && (R == 1 || sr >= std::max<int64_t>(C, 1))) {
    g.row_major = true;
    g.ld = R == 1 ? std::max<int64_t>(C, 1) : sr;
  } else if ((sr == 1 || R == 1) && (C == 1 || sc >= std::max<int64_t>(R, 1))) {
    g.row_major = false;
    g.ld = C == 1 ? std::max<int64_t>(R, 1) : sc;
  } else {
    return g;
  }
  // The batch dims must step as one: each outer (non-1) dim's stride is the inner one's
  // stride times the inner one's size (all zero for a broadcast operand).
  int64_t inner_stride = 0, inner_size = 1;
  bool first = true;
  for (size_t d = nd - 2; d-- > 0;) {
    if (sizes[d] == 1) continue;
    if (first) {
      g.batch_stride = strides[d];
      first = false;
    } else if (strides[d] != inner_stride * inner_size) {
      return g;
    }
    inner_stride = strides[d];
    inner_size = sizes[d];
  }
  if (g.batch_stride < 0) return g;
  g.ok = true;
  return g;
}

GemmCall plan_gemm(const GemmMatrix& a, const GemmMatrix& b, const GemmMatrix& c, int64_t M, int64_t N, int64_t K) {
  GemmCall g;
  g.k = K;
  g.ldc = c.ld;
  g.stride_c = c.batch_stride;
  if (c.row_major) {
    // C^T (N x M, column-major with ld = c.ld) = B^T (N x K) * A^T (K x M).
    // A row-major matrix read column-major is its transpose, so row-major operands need no op.
    g.swap = true;
    g.m = N;
    g.n = M;
    g.trans_a = !b.row_major;
    g.lda = b.ld;
    g.stride_a = b.batch_stride;
    g.trans_b = !a.row_major;
    g.ldb = a.ld;
    g.stride_b = a.batch_stride;
  } else {
    // C (M x N, column-major) = A (M x K) * B (K x N); row-major operands are transposed reads.
    g.swap = false;
    g.m = M;
    g.n = N;
    g.trans_a = a.row_major;
    g.lda = a.ld;
    g.stride_a = a.batch_stride;
    g.trans_b = b.row_major;
    g.ldb = b.ld;
    g.stride_b = b.batch_stride;
  }
  return g;
}

}  // namespace ember::cuda
