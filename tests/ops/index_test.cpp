// Tests for index_select, gather, index_add, scatter_add and one_hot: values against hand-checked
// values and naive loops, repeated indices (gradients must accumulate), non-contiguous inputs,
// size-0/1 dims, a large embedding-style lookup crossing the threading threshold, the contiguous
// fast paths against the reference kernels, float64 gradient checks and error messages.
#include "backends/cpu/fast_path.h"
#include "harness/op_harness.h"

using namespace ember;
using namespace ember::test;

namespace {
Tensor I(const std::vector<int64_t>& v, const Shape& s) { return from_vector(v, s); }
Tensor seq(const Shape& s, double start = 0) {
  return arange(start, start + static_cast<double>(shape_numel(s)), 1.0, TensorOptions(kFloat64)).reshape(s);
}
/// Deterministic int64 indices in [0, n).
Tensor random_index(const Shape& s, int64_t n, uint64_t seed) {
  return uniform(s, 0, static_cast<double>(n), seed).to(kInt64);
}
}  // namespace

// ---- index_select -----------------------------------------------------------------------

TEST(IndexSelect, Dim0RepeatedIndices) {
  Tensor x = seq({4, 3});
  EXPECT_ALLCLOSE(index_select(x, 0, I({2, 0, 2}, {3})), T({6, 7, 8, 0, 1, 2, 6, 7, 8}, {3, 3}));
  EXPECT_ALLCLOSE(index_select(x, 0, I({3}, {1}).to(kInt32)), T({9, 10, 11}, {1, 3}));
  Tensor xi = arange(8).reshape({4, 2});  // integer values too
  EXPECT_EQ(index_select(xi, 0, I({1, 1}, {2})).to_vector<int64_t>(), (std::vector<int64_t>{2, 3, 2, 3}));
}

TEST(IndexSelect, Dim1AndNegativeDim) {
  Tensor x = seq({2, 4});
  Tensor expected = T({3, 1, 1, 7, 5, 5}, {2, 3});
  EXPECT_ALLCLOSE(index_select(x, 1, I({3, 1, 1}, {3})), expected);
  EXPECT_ALLCLOSE(index_select(x, -1, I({3, 1, 1}, {3})), expected);
  Tensor y = seq({2, 3, 4});
  Tensor r = index_select(y, 1, I({2, 2, 0}, {3}));
  ASSERT_EQ(r.shape(), (Shape{2, 3, 4}));
  EXPECT_ALLCLOSE(r.select(1, 0), y.select(1, 2));
  EXPECT_ALLCLOSE(r.select(1, 1), y.select(1, 2));
  EXPECT_ALLCLOSE(r.select(1, 2), y.select(1, 0));
}

TEST(IndexSelect, GradAccumulatesRepeats) {
  Tensor x = ones({3, 2}, kFloat64).set_requires_grad();
  sum(index_select(x, 0, I({1, 1, 1, 0}, {4}))).backward();
  EXPECT_ALLCLOSE(x.grad(), T({1, 1, 3, 3, 0, 0}, {3, 2}));
  Tensor idx = I({0, 2, 0, 0, 1}, {5});
  EXPECT_GRADCHECK([idx](auto& v) { return index_select(v[0], 0, idx); }, {uniform({3, 4})});
  EXPECT_GRADCHECK([idx](auto& v) { return index_select(v[0], 1, idx); }, {uniform({2, 3, 2})});
  EXPECT_GRADCHECK([idx](auto& v) { return index_select(v[0].t(), 1, idx.to(kInt32)); }, {uniform({3, 2})});
}

TEST(IndexSelect, NonContiguousInputs) {
  Tensor x = uniform({5, 6});
  Tensor idx_c = I({4, 4, 1}, {3});
  Tensor xn = noncontiguous(x);
  ASSERT_FALSE(xn.is_contiguous());
  EXPECT_ALLCLOSE(index_select(xn, 0, idx_c), index_select(x, 0, idx_c));
  EXPECT_ALLCLOSE(index_select(xn, 1, idx_c), index_select(x, 1, idx_c));
  Tensor idx2 = I({3, 0, 1, 0, 3, 0}, {6}).slice(0, 0, 6, 2);  // {3, 1, 3} with stride 2
  ASSERT_FALSE(idx2.is_contiguous());
  EXPECT_ALLCLOSE(index_select(x, 0, idx2), index_select(x, 0, I({3, 1, 3}, {3})));
  EXPECT_ALLCLOSE(index_select(x, 0, idx2).select(0, 1), x.select(0, 1));
}

TEST(IndexSelect, SizeZeroAndSizeOne) {
  Tensor x = seq({3, 2});
  EXPECT_EQ(index_select(x, 0, I({}, {0})).shape(), (Shape{0, 2}));
  EXPECT_EQ(index_select(zeros({0, 2}), 0, I({}, {0})).shape(), (Shape{0, 2}));
  EXPECT_EQ(index_select(zeros({2, 0}), 0, I({1, 1, 0}, {3})).shape(), (Shape{3, 0}));
  EXPECT_ALLCLOSE(index_select(seq({1, 1}), 0, I({0, 0}, {2})), T({0, 0}, {2, 1}));
  EXPECT_ALLCLOSE(index_select(x, 1, I({1}, {})), T({1, 3, 5}, {3, 1}));  // 0-dim index
  EXPECT_GRADCHECK([](auto& v) { return index_select(v[0], 0, I({}, {0})); }, {uniform({3, 2})});
}

TEST(IndexSelect, LargeEmbeddingAgainstNaiveLoop) {
  const int64_t rows = 50000, width = 64, n = 4096;
  Tensor table = rand({rows, width});  // float32
  Tensor idx = random_index({n}, rows, 11);
  Tensor out = index_select(table, 0, idx);
  ASSERT_EQ(out.shape(), (Shape{n, width}));
  std::vector<float> tv = table.to_vector<float>(), ov = out.to_vector<float>();
  std::vector<int64_t> iv = idx.to_vector<int64_t>();
  std::vector<float> expected(static_cast<size_t>(n * width));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < width; ++k) expected[i * width + k] = tv[iv[i] * width + k];
  EXPECT_EQ(ov, expected);
  // Backward: index_add of a random gradient, against a naive accumulation.
  Tensor t = table.detach().set_requires_grad();
  Tensor g = rand({n, width});
  index_select(t, 0, idx).backward(g);
  std::vector<float> gv = g.to_vector<float>();
  std::vector<double> acc(static_cast<size_t>(rows * width), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < width; ++k) acc[iv[i] * width + k] += gv[i * width + k];
  std::vector<float> got = t.grad().to_vector<float>();
  double worst = 0;
  for (size_t j = 0; j < acc.size(); ++j) worst = std::max(worst, std::abs(acc[j] - got[j]));
  EXPECT_LT(worst, 1e-5);
}

TEST(IndexSelect, FastPathsMatchReference) {
  Tensor table = uniform({3000, 40}), idx = random_index({2000}, 3000, 5);  // 80000 outputs
  Tensor mid = uniform({20, 300, 10}), idx_mid = random_index({500}, 300, 6);
  for (auto [x, d, ix] : std::vector<std::tuple<Tensor, int64_t, Tensor>>{{table, 0, idx}, {mid, 1, idx_mid}}) {
    Tensor xg = x.detach().set_requires_grad();
    Tensor w = uniform(index_select(x, d, ix).shape(), -1, 1, 9);
    Tensor fast = index_select(xg, d, ix);
    sum(mul(fast, w)).backward();
    Tensor fast_grad = xg.grad();
    xg.zero_grad();
    cpu::ReferenceKernelsScope ref;
    Tensor slow = index_select(xg, d, ix);
    sum(mul(slow, w)).backward();
    EXPECT_ALLCLOSE(fast, slow, 0, 0);
    EXPECT_ALLCLOSE(fast_grad, xg.grad(), 1e-12, 1e-12);
  }
}

TEST(IndexSelect, Errors) {
  Tensor x = zeros({4, 3});
  EXPECT_EMBER_ERROR(index_select(x, 0, I({0, 4}, {2})), "index_select", "index 4", "size 4");
  EXPECT_EMBER_ERROR(index_select(x, 1, I({-1}, {1})), "index_select", "index -1", "size 3");
  EXPECT_EMBER_ERROR(index_select(x, 0, T({0, 1}, {2})), "index_select", "int64", "float64");
  EXPECT_EMBER_ERROR(index_select(x, 0, I({0, 1}, {1, 2})), "index_select", "1-D", "[1,2]");
  EXPECT_EMBER_ERROR(index_select(x, 2, I({0}, {1})), "index_select", "dimension 2");
  EXPECT_EMBER_ERROR(index_select(zeros({0, 3}), 0, I({0}, {1})), "index_select", "index 0", "size 0");
}

// ---- gather -----------------------------------------------------------------------------

TEST(Gather, Dim0AndDim1) {
  Tensor t = T({1, 2, 3, 4}, {2, 2});
  EXPECT_ALLCLOSE(gather(t, 1, I({0, 0, 1, 0}, {2, 2})), T({1, 1, 4, 3}, {2, 2}));
  EXPECT_ALLCLOSE(gather(t, 0, I({1, 0, 0, 0}, {2, 2})), T({3, 2, 1, 2}, {2, 2}));
  EXPECT_ALLCLOSE(gather(t, -1, I({1, 1, 1}, {1, 3})), T({2, 2, 2}, {1, 3}));  // index smaller in dim 0
  Tensor x = seq({3, 4});
  EXPECT_ALLCLOSE(gather(x, 0, I({2, 1, 0, 2, 0, 0}, {2, 3})), T({8, 5, 2, 8, 1, 2}, {2, 3}));
  EXPECT_ALLCLOSE(gather(x, 1, I({3, 3, 0, 1, 2, 2}, {3, 2}).to(kInt32)), T({3, 3, 4, 5, 10, 10}, {3, 2}));
  EXPECT_ALLCLOSE(gather(T({5}, {}), 0, I({0}, {})), T({5}, {}));
}

TEST(Gather, GradWithRepeats) {
  Tensor idx0 = I({2, 2, 0, 2, 1, 1}, {2, 3}), idx1 = I({0, 0, 0, 3, 1, 3, 2, 2}, {2, 4});
  EXPECT_GRADCHECK([idx0](auto& v) { return gather(v[0], 0, idx0); }, {uniform({3, 4})});
  EXPECT_GRADCHECK([idx1](auto& v) { return gather(v[0], 1, idx1); }, {uniform({3, 4})});
  EXPECT_GRADCHECK([idx1](auto& v) { return gather(v[0].t(), 1, idx1); }, {uniform({4, 3})});
  Tensor x = ones({2, 3}, kFloat64).set_requires_grad();
  sum(gather(x, 1, I({2, 2, 2, 0}, {2, 2}))).backward();
  EXPECT_ALLCLOSE(x.grad(), T({0, 0, 2, 1, 0, 1}, {2, 3}));
}

TEST(Gather, NonContiguousAndSizeZero) {
  Tensor x = uniform({4, 5}), idx = random_index({4, 6}, 5, 3);
  EXPECT_ALLCLOSE(gather(noncontiguous(x), 1, idx), gather(x, 1, idx), 0, 0);
  EXPECT_ALLCLOSE(gather(x, 1, noncontiguous(idx)), gather(x, 1, idx), 0, 0);
  EXPECT_EQ(gather(x, 1, zeros({4, 0}, kInt64)).shape(), (Shape{4, 0}));
  EXPECT_EQ(gather(zeros({0, 3}), 1, zeros({0, 2}, kInt64)).shape(), (Shape{0, 2}));
  EXPECT_ALLCLOSE(gather(seq({1, 1}), 0, I({0, 0, 0}, {3, 1})), zeros({3, 1}, kFloat64));
}

TEST(Gather, LargeAgainstNaiveLoop) {
  const int64_t r = 256, c = 512, m = 300;  // 76800 outputs
  Tensor x = uniform({r, c}), idx = random_index({r, m}, c, 8);
  std::vector<double> xv = x.to_vector<double>(), ov = gather(x, 1, idx).to_vector<double>();
  std::vector<int64_t> iv = idx.to_vector<int64_t>();
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < m; ++j) ASSERT_EQ(ov[i * m + j], xv[i * c + iv[i * m + j]]);
  Tensor xg = x.detach().set_requires_grad(), g = uniform({r, m}, -1, 1, 4);
  gather(xg, 1, idx).backward(g);
  std::vector<double> gv = g.to_vector<double>(), acc(static_cast<size_t>(r * c), 0.0);
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < m; ++j) acc[i * c + iv[i * m + j]] += gv[i * m + j];
  EXPECT_ALLCLOSE(xg.grad(), from_vector(acc, {r, c}, TensorOptions(kFloat64)), 1e-12, 1e-12);
}

TEST(Gather, Errors) {
  Tensor x = zeros({3, 4});
  EXPECT_EMBER_ERROR(gather(x, 1, I({0, 4}, {1, 2})), "gather", "index 4", "size 4");
  EXPECT_EMBER_ERROR(gather(x, 0, I({-2}, {1, 1})), "gather", "index -2", "size 3");
  EXPECT_EMBER_ERROR(gather(x, 1, I({0, 1}, {2})), "gather", "[2]", "[3,4]", "rank");
  EXPECT_EMBER_ERROR(gather(x, 1, zeros({4, 1}, kInt64)), "gather", "[4,1]", "[3,4]", "dimension 0");
  EXPECT_EMBER_ERROR(gather(x, 1, zeros({3, 1})), "gather", "int64", "float32");
  EXPECT_EMBER_ERROR(gather(x, -3, zeros({3, 1}, kInt64)), "gather", "dimension -3");
}

// ---- index_add / scatter_add ------------------------------------------------------------

TEST(IndexAdd, ValuesAndGrad) {
  Tensor x = zeros({3, 2}, kFloat64), src = seq({4, 2}, 1);
  EXPECT_ALLCLOSE(index_add(x, 0, I({2, 0, 2, 2}, {4}), src), T({3, 4, 0, 0, 1 + 5 + 7, 2 + 6 + 8}, {3, 2}));
  EXPECT_ALLCLOSE(index_add(ones({2, 3}, kFloat64), 1, I({1, 1}, {2}), seq({2, 2})), T({1, 2, 1, 1, 6, 1}, {2, 3}));
  Tensor idx = I({1, 0, 1}, {3});
  EXPECT_GRADCHECK([idx](auto& v) { return index_add(v[0], 1, idx, v[1]); }, {uniform({2, 2, 3}), uniform({2, 3, 3}, -1, 1, 2)});
  EXPECT_EMBER_ERROR(index_add(x, 0, I({0}, {1}), zeros({2, 2})), "index_add", "[2,2]", "[1,2]");
  EXPECT_EMBER_ERROR(index_add(x, 0, I({3}, {1}), zeros({1, 2})), "index_add", "index 3", "size 3");
}

TEST(ScatterAdd, ValuesAndGrad) {
  Tensor x = zeros({2, 3}, kFloat64), src = seq({2, 2}, 1);
  EXPECT_ALLCLOSE(scatter_add(x, 1, I({2, 2, 0, 1}, {2, 2}), src), T({0, 0, 3, 3, 4, 0}, {2, 3}));
  // src larger than index: only index's extent is used.
  EXPECT_ALLCLOSE(scatter_add(x, 0, I({1, 1}, {1, 2}), seq({2, 3}, 1)), T({0, 0, 0, 1, 2, 0}, {2, 3}));
  Tensor idx = I({0, 2, 2, 1, 0, 0}, {3, 2});
  EXPECT_GRADCHECK([idx](auto& v) { return scatter_add(v[0], 0, idx, v[1]); }, {uniform({3, 3}), uniform({3, 2}, -1, 1, 2)});
  EXPECT_GRADCHECK([idx](auto& v) { return scatter_add(v[0], 1, idx, v[1]); }, {uniform({3, 3}), uniform({4, 3}, -1, 1, 2)});
  EXPECT_EMBER_ERROR(scatter_add(x, 1, I({0, 0}, {1, 2}), zeros({1, 1}, kFloat64)), "scatter_add", "[1,2]", "[1,1]");
}

// ---- one_hot ----------------------------------------------------------------------------

TEST(OneHot, Values) {
  Tensor r = one_hot(I({2, 0, 1, 2}, {2, 2}), 3);
  ASSERT_EQ(r.shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(r.dtype(), kFloat32);
  EXPECT_ALLCLOSE(r, T({0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1}, {2, 2, 3}, kFloat32));
  EXPECT_ALLCLOSE(one_hot(I({1}, {}), 2, kFloat64), T({0, 1}, {2}));
  EXPECT_EQ(one_hot(I({3, 1}, {2}), -1).shape(), (Shape{2, 4}));
  EXPECT_EQ(one_hot(I({}, {0}), 5).shape(), (Shape{0, 5}));
  EXPECT_ALLCLOSE(one_hot(I({0, 1}, {2}).to(kInt32), 2), T({1, 0, 0, 1}, {2, 2}, kFloat32));
  EXPECT_FALSE(one_hot(I({0}, {1}), 2).requires_grad());
}

TEST(OneHot, Errors) {
  EXPECT_EMBER_ERROR(one_hot(I({0, 3}, {2}), 3), "one_hot", "3", "num_classes 3");
  EXPECT_EMBER_ERROR(one_hot(I({-1}, {1}), 3), "one_hot", "-1");
  EXPECT_EMBER_ERROR(one_hot(T({0}, {1}), 3), "one_hot", "int64", "float64");
  EXPECT_EMBER_ERROR(one_hot(I({0}, {1}), 0), "one_hot", "num_classes");
}
