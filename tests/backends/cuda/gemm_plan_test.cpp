// How the CUDA matmul maps strided operands onto one column-major cuBLAS call
// (src/backends/cuda/gemm_plan.h). Each plan is executed here by a plain column-major GEMM
// that reads memory the way cuBLAS would (transposes, leading dimensions, batch strides) and
// the result is compared with ember's CPU matmul. Runs without a GPU.
#include "backends/cuda/gemm_plan.h"
#include "core/tensor_impl.h"
#include "harness/op_harness.h"

using namespace ember;
using namespace ember::test;

namespace {

const double* base(const Tensor& t) { return static_cast<const double*>(t.impl()->storage->data) + t.offset(); }
double* base_mut(const Tensor& t) { return static_cast<double*>(t.impl()->storage->data) + t.offset(); }

/// cuBLAS's gemm semantics on the host: C' = op(A') op(B') per batch entry, column-major.
void run_plan(const cuda::GemmCall& g, int64_t batch, const double* A, const double* B, double* C) {
  for (int64_t b = 0; b < batch; ++b) {
    const double* a = A + b * g.stride_a;
    const double* bb = B + b * g.stride_b;
    double* c = C + b * g.stride_c;
    for (int64_t i = 0; i < g.m; ++i)
      for (int64_t j = 0; j < g.n; ++j) {
        double s = 0;
        for (int64_t l = 0; l < g.k; ++l) {
          const double av = g.trans_a ? a[l + i * g.lda] : a[i + l * g.lda];
          const double bv = g.trans_b ? bb[j + l * g.ldb] : bb[l + j * g.ldb];
          s += av * bv;
        }
        c[i + j * g.ldc] = s;
      }
  }
}

/// c = a @ b through the plan (operands BLAS cannot take are made contiguous, as the kernel
/// does) and the CPU matmul; c may be any usable view. Returns whether each input was usable.
::testing::AssertionResult plan_matches_cpu(Tensor a, Tensor b, Tensor c) {
  const int64_t nd = c.dim(), M = c.size(nd - 2), N = c.size(nd - 1), K = a.size(nd - 1);
  cuda::GemmMatrix la = cuda::gemm_layout(a.shape(), a.strides()), lb = cuda::gemm_layout(b.shape(), b.strides());
  cuda::GemmMatrix lc = cuda::gemm_layout(c.shape(), c.strides());
  if (!lc.ok) return ::testing::AssertionFailure() << "output layout unusable";
  if (!la.ok) a = a.contiguous(), la = cuda::gemm_layout(a.shape(), a.strides());
  if (!lb.ok) b = b.contiguous(), lb = cuda::gemm_layout(b.shape(), b.strides());
  if (!la.ok || !lb.ok) return ::testing::AssertionFailure() << "a contiguous operand is unusable";
  const cuda::GemmCall g = cuda::plan_gemm(la, lb, lc, M, N, K);
  run_plan(g, c.numel() / (M * N), base(g.swap ? b : a), base(g.swap ? a : b), base_mut(c));
  return allclose(c, matmul(a, b), 1e-12, 1e-12);
}

Tensor out_view_colmajor(int64_t M, int64_t N) { return zeros({N, M}, kFloat64).t(); }

}  // namespace

TEST(CudaGemmPlan, ContiguousAndTransposedOperands) {
  const int64_t M = 5, K = 4, N = 3;
  Tensor a = uniform({M, K}, -1, 1, 1), b = uniform({K, N}, -1, 1, 2);
  Tensor at = uniform({K, M}, -1, 1, 3).t(), bt = uniform({N, K}, -1, 1, 4).t();
  for (const Tensor& x : {a, at})
    for (const Tensor& y : {b, bt}) {
      EXPECT_TRUE(plan_matches_cpu(x, y, zeros({M, N}, kFloat64)));   // row-major c: swapped call
      EXPECT_TRUE(plan_matches_cpu(x, y, out_view_colmajor(M, N)));  // column-major c: direct call
    }
  EXPECT_TRUE(cuda::gemm_layout(at.shape(), at.strides()).ok);
  EXPECT_FALSE(cuda::gemm_layout(at.shape(), at.strides()).row_major);
}

TEST(CudaGemmPlan, PaddedLeadingDimensionsAndVectors) {
  Tensor big = uniform({6, 9}, -1, 1, 5);
  Tensor a = big.slice(1, 0, 4);  // (6,4) with ld 9
  Tensor b = uniform({4, 1}, -1, 1, 6), row = uniform({1, 6}, -1, 1, 7);
  const cuda::GemmMatrix la = cuda::gemm_layout(a.shape(), a.strides());
  EXPECT_TRUE(la.ok);
  EXPECT_EQ(la.ld, 9);
  EXPECT_TRUE(plan_matches_cpu(a, b, zeros({6, 1}, kFloat64)));      // matrix-vector
  EXPECT_TRUE(plan_matches_cpu(row, a, zeros({1, 4}, kFloat64)));    // vector-matrix
  Tensor cbig = zeros({6, 7}, kFloat64);
  EXPECT_TRUE(plan_matches_cpu(a, uniform({4, 5}, -1, 1, 8), cbig.slice(1, 1, 6)));  // c with ld 7
}

TEST(CudaGemmPlan, BatchedBroadcastAndUnusableLayouts) {
  Tensor a = uniform({2, 3, 4, 5}, -1, 1, 9), b = uniform({5, 6}, -1, 1, 10);
  Tensor bb = b.unsqueeze(0).unsqueeze(0).expand({2, 3, 5, 6});  // batch stride 0
  const cuda::GemmMatrix lb = cuda::gemm_layout(bb.shape(), bb.strides());
  EXPECT_TRUE(lb.ok);
  EXPECT_EQ(lb.batch_stride, 0);
  EXPECT_TRUE(plan_matches_cpu(a, bb, zeros({2, 3, 4, 6}, kFloat64)));
  // Batch dims that do not step as one (a permuted batch) and stepped columns need copies.
  Tensor ap = uniform({3, 2, 4, 5}, -1, 1, 11).permute({1, 0, 2, 3});
  EXPECT_FALSE(cuda::gemm_layout(ap.shape(), ap.strides()).ok);
  EXPECT_TRUE(plan_matches_cpu(ap, bb, zeros({2, 3, 4, 6}, kFloat64)));
  Tensor stepped = uniform({4, 10}, -1, 1, 12).slice(1, 0, 10, 2);  // column stride 2
  EXPECT_FALSE(cuda::gemm_layout(stepped.shape(), stepped.strides()).ok);
  EXPECT_TRUE(plan_matches_cpu(stepped, uniform({5, 3}, -1, 1, 13), zeros({4, 3}, kFloat64)));
  Tensor rows_bcast = uniform({1, 5}, -1, 1, 14).expand({4, 5});  // row stride 0
  EXPECT_FALSE(cuda::gemm_layout(rows_bcast.shape(), rows_bcast.strides()).ok);
}

TEST(CudaGemmPlan, BatchedColumnMajorOutput) {
  Tensor a = uniform({3, 4, 2}, -1, 1, 15).transpose(1, 2);  // (3,2,4), column-major matrices
  Tensor b = uniform({3, 4, 5}, -1, 1, 16);
  Tensor c = zeros({3, 5, 2}, kFloat64).transpose(1, 2);     // (3,2,5), column-major
  EXPECT_TRUE(plan_matches_cpu(a, b, c));
}
