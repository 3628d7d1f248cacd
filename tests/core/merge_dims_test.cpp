// The shared dimension-merging helper (src/core/merge_dims.h) that the OpenCL and CUDA strided
// kernels use: contiguous runs fuse, size-1 dims drop, broadcast (stride-0) dims fuse only with
// broadcast dims, transposed views stay apart, and random views keep every operand's offsets
// in the same order.
#include <random>

#include "core/merge_dims.h"
#include "harness/op_harness.h"

using namespace ember;

namespace {

struct Merged {
  std::vector<int64_t> sizes;
  std::vector<std::vector<int64_t>> strides;  // per operand
};

/// merge_dims over sizes with one stride vector per operand.
Merged merge(const std::vector<int64_t>& sizes, const std::vector<std::vector<int64_t>>& strides) {
  const int nd = static_cast<int>(sizes.size()), n = static_cast<int>(strides.size());
  Merged m{std::vector<int64_t>(sizes.size()), std::vector<std::vector<int64_t>>(strides.size(), std::vector<int64_t>(sizes.size()))};
  std::vector<const int64_t*> in;
  std::vector<int64_t*> out;
  for (int k = 0; k < n; ++k) in.push_back(strides[k].data()), out.push_back(m.strides[k].data());
  const int got = merge_dims(nd, sizes.data(), n, in.data(), m.sizes.data(), out.data());
  m.sizes.resize(got);
  for (auto& s : m.strides) s.resize(got);
  return m;
}

/// Every operand's element offsets of a row-major walk, in order.
std::vector<std::vector<int64_t>> walk(const std::vector<int64_t>& sizes, const std::vector<std::vector<int64_t>>& strides) {
  int64_t total = 1;
  for (int64_t s : sizes) total *= s;
  std::vector<std::vector<int64_t>> out;
  for (int64_t i = 0; i < total; ++i) {
    std::vector<int64_t> off(strides.size(), 0);
    int64_t rem = i;
    for (size_t d = sizes.size(); d-- > 0;) {
      const int64_t c = rem % sizes[d];
      rem /= sizes[d];
      for (size_t k = 0; k < strides.size(); ++k) off[k] += c * strides[k][d];
    }
    out.push_back(off);
  }
  return out;
}

std::vector<int64_t> contiguous(const std::vector<int64_t>& sizes) {
  std::vector<int64_t> s(sizes.size());
  int64_t st = 1;
  for (size_t d = sizes.size(); d-- > 0;) s[d] = st, st *= sizes[d];
  return s;
}

using V = std::vector<int64_t>;

}  // namespace

TEST(MergeDims, ContiguousRunsFuseIntoOneDim) {
  Merged m = merge({2, 3, 4}, {{12, 4, 1}, {12, 4, 1}});
  EXPECT_EQ(m.sizes, V({24}));
  EXPECT_EQ(m.strides[0], V({1}));
  EXPECT_EQ(m.strides[1], V({1}));
  // A stepped slice keeps its gap: {4,6,2} sliced 0:6:2 on dim 1 -> strides {12,4,1}.
  m = merge({4, 3, 2}, {{12, 4, 1}});
  EXPECT_EQ(m.sizes, V({12, 2}));
  EXPECT_EQ(m.strides[0], V({4, 1}));
}

TEST(MergeDims, SizeOneDimsAreDroppedWhateverTheirStride) {
  Merged m = merge({3, 1, 4}, {{4, 99, 1}});
  EXPECT_EQ(m.sizes, V({12}));
  EXPECT_EQ(m.strides[0], V({1}));
  EXPECT_EQ(merge({1, 1}, {{7, 3}}).sizes, V());  // a single element
  EXPECT_EQ(merge({}, {{}}).sizes, V());          // a scalar
}

TEST(MergeDims, BroadcastDimsFuseOnlyWithBroadcastDims) {
  // {5,1} expanded to {5,6} (stride 0) beside a dense {5,6}: nothing fuses.
  Merged m = merge({5, 6}, {{1, 0}, {6, 1}});
  EXPECT_EQ(m.sizes, V({5, 6}));
  EXPECT_EQ(m.strides[0], V({1, 0}));
  EXPECT_EQ(m.strides[1], V({6, 1}));
  // Broadcast over the two outer dims: they fuse (0 == 0 * 5), the inner one stays apart.
  m = merge({4, 5, 6}, {{0, 0, 1}, {30, 6, 1}});
  EXPECT_EQ(m.sizes, V({20, 6}));
  EXPECT_EQ(m.strides[0], V({0, 1}));
  EXPECT_EQ(m.strides[1], V({6, 1}));
}

TEST(MergeDims, TransposedViewsAreNotFused) {
  Merged m = merge({3, 4}, {{1, 3}});  // the transpose of a dense {4,3}
  EXPECT_EQ(m.sizes, V({3, 4}));
  EXPECT_EQ(m.strides[0], V({1, 3}));
  m = merge({3, 4}, {{1, 3}, {4, 1}});  // beside a dense operand
  EXPECT_EQ(m.sizes, V({3, 4}));
  // One operand dense, the other transposed on the inner pair only: the outer dim still fuses.
  m = merge({2, 3, 4}, {{12, 1, 3}, {12, 4, 1}});
  EXPECT_EQ(m.sizes, V({2, 3, 4}));
}

TEST(MergeDims, EmptyShapesKeepNoElements) {
  Merged m = merge({0, 3}, {{3, 1}});
  int64_t n = 1;
  for (int64_t s : m.sizes) n *= s;
  EXPECT_EQ(n, 0);
}

TEST(MergeDims, RandomViewsKeepEveryOperandsOffsets) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 300; ++trial) {
    const int nd = 1 + trial % 6;
    V sizes;
    for (int d = 0; d < nd; ++d) sizes.push_back(1 + static_cast<int64_t>(rng() % 4));
    std::vector<std::vector<int64_t>> strides;
    for (int k = 0; k < 3; ++k) {
      // A permuted, possibly stepped or broadcast view of a dense base of the same sizes.
      V perm(nd);
      for (int d = 0; d < nd; ++d) perm[d] = d;
      if (k > 0) std::shuffle(perm.begin(), perm.end(), rng);
      V base(nd);
      for (int d = 0; d < nd; ++d) base[perm[d]] = sizes[d];
      const V bs = contiguous(base);
      V s(nd);
      for (int d = 0; d < nd; ++d) s[d] = bs[perm[d]] * (k == 2 && rng() % 3 == 0 ? 2 : 1);
      if (k == 1 && rng() % 2) s[rng() % nd] = 0;  // broadcast along one dim
      strides.push_back(s);
    }
    const Merged m = merge(sizes, strides);
    EXPECT_LE(m.sizes.size(), sizes.size());
    EXPECT_EQ(walk(m.sizes, m.strides), walk(sizes, strides)) << "trial " << trial;
  }
}
