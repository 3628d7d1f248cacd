// The CUDA kernels' strided addressing (src/backends/cuda/strided.h): merged iterators must give
// every operand the same element offsets, in the same order, as the CPU backend's
// for_each_offset, for views of every kind. Runs without a GPU.
#include <random>

#include "backends/cpu/strided.h"
#include "backends/cuda/strided.h"
#include "harness/op_harness.h"

using namespace ember;
using namespace ember::test;

namespace {

/// The CPU's offsets of operands a and b over sizes, in linear order.
std::vector<std::array<int64_t, 2>> cpu_offsets(const Shape& sizes, const Shape& sa, const Shape& sb) {
  std::vector<std::array<int64_t, 2>> out;
  cpu::for_each_offset<2>(sizes, {&sa, &sb}, 0, shape_numel(sizes),
                          [&](const std::array<int64_t, 2>& o) { out.push_back(o); });
  return out;
}

::testing::AssertionResult same_offsets(const Tensor& a, const Tensor& b) {
  const auto it = cuda::make_iter<2>(a.shape(), {&a.strides(), &b.strides()}, "test");
  const auto want = cpu_offsets(a.shape(), a.strides(), b.strides());
  for (int64_t i = 0; i < static_cast<int64_t>(want.size()); ++i) {
    int64_t o[2];
    it.offsets(i, o);
    if (o[0] != want[i][0] || o[1] != want[i][1] || it.offset(1, i) != want[i][1])
      return ::testing::AssertionFailure() << "element " << i << " of " << shape_str(a.shape()) << ": (" << o[0] << ","
                                           << o[1] << ") vs CPU (" << want[i][0] << "," << want[i][1] << ")";
  }
  return ::testing::AssertionSuccess();
}

}  // namespace

TEST(CudaStrided, DenseOperandsMergeToOneDim) {
  Tensor a = zeros({2, 3, 4}), b = zeros({2, 3, 4});
  const auto it = cuda::make_iter<2>(a.shape(), {&a.strides(), &b.strides()}, "test");
  EXPECT_EQ(it.ndim, 1);
  EXPECT_EQ(it.sizes[0], 24);
  EXPECT_TRUE(cuda::all_dense(it));
  EXPECT_TRUE(same_offsets(a, b));
}

TEST(CudaStrided, ViewsMatchCpuIteration) {
  Tensor base = zeros({4, 5, 6});
  Tensor t = base.permute({2, 0, 1});                // transposed
  Tensor s = base.slice(1, 1, 5, 2).slice(2, 0, 6, 3);  // stepped slices
  Tensor e = zeros({5, 1}).expand({5, 6});           // broadcast (stride 0)
  Tensor c6 = zeros({6, 4, 5});
  EXPECT_TRUE(same_offsets(t, c6));
  EXPECT_FALSE(cuda::all_dense(cuda::make_iter<2>(t.shape(), {&t.strides(), &c6.strides()}, "test")));
  Tensor cs = zeros(s.shape());
  EXPECT_TRUE(same_offsets(s, cs));
  EXPECT_TRUE(same_offsets(e, zeros({5, 6})));
  Tensor one = zeros({3, 1, 4}).transpose(0, 2);  // size-1 dims with odd strides
  EXPECT_TRUE(same_offsets(one, zeros(one.shape())));
  Tensor scalar = scalar_tensor(1.0);
  EXPECT_TRUE(same_offsets(scalar, scalar));
}

TEST(CudaStrided, RandomPermutedSlicedViews) {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 40; ++trial) {
    const int nd = 1 + trial % 6;
    Shape sizes;
    for (int d = 0; d < nd; ++d) sizes.push_back(1 + static_cast<int64_t>(rng() % 4));
    Tensor x = zeros(sizes);
    std::vector<int64_t> perm(static_cast<size_t>(nd));
    for (int d = 0; d < nd; ++d) perm[d] = d;
    std::shuffle(perm.begin(), perm.end(), rng);
    Tensor v = x.permute(perm);
    if (v.size(0) > 1) v = v.slice(0, 0, v.size(0), 2);
    EXPECT_TRUE(same_offsets(v, zeros(v.shape()))) << "trial " << trial;
    EXPECT_TRUE(same_offsets(zeros(v.shape()), v)) << "trial " << trial;
  }
}

TEST(CudaStrided, TooManyUnmergeableDimsIsAClearError) {
  Shape sizes(9, 2), strides(9, 0);
  int64_t st = 1;
  for (int d = 8; d >= 0; --d, st *= 4) strides[d] = st;  // gaps between every dim: nothing merges
  EXPECT_EMBER_ERROR(cuda::make_iter<1>(sizes, {&strides}, "unary"), "unary", "at most 8");
  Shape dense = contiguous_strides(sizes);  // the same 9 dims, dense, merge into one
  EXPECT_EQ(cuda::make_iter<1>(sizes, {&dense}, "unary").ndim, 1);
}
