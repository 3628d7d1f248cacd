// Tests for cat, stack and pad: values against hand-checked or loop-computed references, dtype
// promotion, non-contiguous inputs, size-0/1 dims, float64 gradient checks and error messages.
#include "harness/op_harness.h"

using namespace ember;
using namespace ember::test;

namespace {
/// Row-major multi-index of linear position i in shape s.
Shape unravel(int64_t i, const Shape& s) {
  Shape idx(s.size());
  for (size_t k = s.size(); k-- > 0;) {
    idx[k] = i % s[k];
    i /= s[k];
  }
  return idx;
}

/// F.pad reference by loops: out[o] = x[o - before] where in range, else value.
Tensor ref_pad(const Tensor& x, const std::vector<int64_t>& pads, double value) {
  Shape xs = x.shape(), os = xs, before(xs.size(), 0);
  for (size_t p = 0; p < pads.size() / 2; ++p) {
    size_t k = xs.size() - 1 - p;
    before[k] = pads[2 * p];
    os[k] += pads[2 * p] + pads[2 * p + 1];
  }
  std::vector<double> xv = x.to_vector<double>(), ov(static_cast<size_t>(shape_numel(os)));
  Shape xst(xs.size(), 1);
  for (size_t k = xs.size(); k-- > 1;) xst[k - 1] = xst[k] * xs[k];
  for (int64_t i = 0; i < shape_numel(os); ++i) {
    Shape o = unravel(i, os);
    int64_t off = 0;
    bool inside = true;
    for (size_t k = 0; k < xs.size(); ++k) {
      int64_t j = o[k] - before[k];
      inside = inside && j >= 0 && j < xs[k];
      off += j * xst[k];
    }
    ov[i] = inside ? xv[off] : value;
  }
  return from_vector(ov, os, TensorOptions(kFloat64));
}

Tensor seq(const Shape& s, double start = 0) {
  return arange(start, start + static_cast<double>(shape_numel(s)), 1.0, TensorOptions(kFloat64)).reshape(s);
}
}  // namespace

// ---- cat --------------------------------------------------------------------------------

TEST(Cat, Dim0DifferentSizes) {
  Tensor a = seq({2, 3}), b = seq({1, 3}, 10);
  EXPECT_ALLCLOSE(cat({a, b}, 0), T({0, 1, 2, 3, 4, 5, 10, 11, 12}, {3, 3}));
}

TEST(Cat, Dim1AndNegativeDim) {
  Tensor a = seq({2, 1}), b = seq({2, 2}, 10);
  Tensor expected = T({0, 10, 11, 1, 12, 13}, {2, 3});
  EXPECT_ALLCLOSE(cat({a, b}, 1), expected);
  EXPECT_ALLCLOSE(cat({a, b}, -1), expected);
  Tensor c = seq({2, 2, 3}), d = seq({2, 2, 1}, 100);
  Tensor r = cat({c, d, c}, -1);
  ASSERT_EQ(r.shape(), (Shape{2, 2, 7}));
  EXPECT_ALLCLOSE(r.slice(2, 0, 3), c);
  EXPECT_ALLCLOSE(r.slice(2, 3, 4), d);
  EXPECT_ALLCLOSE(r.slice(2, 4, 7), c);
}

TEST(Cat, DtypePromotion) {
  Tensor i = arange(3), f = T({0.5, 1.5}, {2}, kFloat32);
  Tensor r = cat({i, f});
  EXPECT_EQ(r.dtype(), kFloat32);
  EXPECT_ALLCLOSE(r, T({0, 1, 2, 0.5, 1.5}, {5}, kFloat32));
  // float32 + float64: the float32 input gets a float32 gradient.
  Tensor a = T({1, 2}, {2}, kFloat32).set_requires_grad(), b = T({3}, {1}).set_requires_grad();
  Tensor c = cat({a, b});
  EXPECT_EQ(c.dtype(), kFloat64);
  sum(mul(c, T({1, 2, 3}, {3}))).backward();
  EXPECT_EQ(a.grad().dtype(), kFloat32);
  EXPECT_ALLCLOSE(a.grad(), T({1, 2}, {2}, kFloat32));
  EXPECT_ALLCLOSE(b.grad(), T({3}, {1}));
}

TEST(Cat, GradSeveralInputsOneConstant) {
  Tensor k = seq({2, 2}, 5);  // does not require grad
  EXPECT_GRADCHECK([k](auto& x) { return cat({x[0], k, x[1], x[2]}, 1); },
                   {uniform({2, 3}), uniform({2, 1}, -1, 1, 2), uniform({2, 4}, -1, 1, 3)});
  EXPECT_GRADCHECK([k](auto& x) { return cat({k.t(), x[0]}, 0); }, {uniform({3, 2})});
  Tensor a = uniform({2, 2}).set_requires_grad();
  Tensor b = uniform({1, 2}, -1, 1, 4);
  sum(cat({b, a})).backward();
  EXPECT_ALLCLOSE(a.grad(), ones({2, 2}, kFloat64));
  EXPECT_FALSE(b.grad().defined());
}

TEST(Cat, NonContiguousInputs) {
  Tensor a = uniform({3, 4}), b = uniform({3, 2}, -1, 1, 2);
  Tensor r = cat({noncontiguous(a), noncontiguous(b)}, 1);
  EXPECT_ALLCLOSE(r, cat({a, b}, 1));
  EXPECT_ALLCLOSE(r.slice(1, 4, 6), b);
  EXPECT_GRADCHECK([](auto& x) { return cat({x[0].t(), x[1]}, 0); }, {uniform({4, 3}), uniform({2, 4}, -1, 1, 5)});
}

TEST(Cat, SizeZeroAndSizeOne) {
  Tensor a = seq({2, 3}), e = zeros({2, 0}, kFloat64);
  EXPECT_ALLCLOSE(cat({e, a, e}, 1), a);
  EXPECT_EQ(cat({e, e}, 1).shape(), (Shape{2, 0}));
  EXPECT_EQ(cat({zeros({0, 3}), zeros({0, 3})}, 0).shape(), (Shape{0, 3}));
  // Legacy rule: a 1-D [0] tensor is skipped whatever the other inputs' rank.
  EXPECT_ALLCLOSE(cat({zeros({0}, kFloat64), a}, 1), a);
  EXPECT_EQ(cat({zeros({0}), zeros({0})}).shape(), (Shape{0}));
  EXPECT_ALLCLOSE(cat({seq({1, 1}), seq({1, 1}, 7)}, 0), T({0, 7}, {2, 1}));
  EXPECT_ALLCLOSE(cat({a}, 0), a);
  EXPECT_GRADCHECK([](auto& x) { return cat({x[0], x[1]}, 1); }, {uniform({2, 0}), uniform({2, 1})});
}

TEST(Cat, LargeCrossesThreadingThreshold) {
  Tensor a = uniform({300, 200}), b = uniform({300, 100}, -1, 1, 2);  // 90000 elements out
  Tensor r = cat({a, b}, 1);
  EXPECT_ALLCLOSE(r.slice(1, 0, 200), a, 0, 0);
  EXPECT_ALLCLOSE(r.slice(1, 200, 300), b, 0, 0);
}

TEST(Cat, Errors) {
  EXPECT_EMBER_ERROR(cat({zeros({2, 3}), zeros({3, 3})}, 1), "cat", "[2,3]", "[3,3]", "dimension 1");
  EXPECT_EMBER_ERROR(cat({zeros({2, 3}), zeros({2, 3, 1})}), "cat", "[2,3]", "[2,3,1]", "rank");
  EXPECT_EMBER_ERROR(cat({zeros({2, 3})}, 2), "cat", "dimension 2");
  EXPECT_EMBER_ERROR(cat({zeros({2, 3})}, -3), "cat", "dimension -3");
  EXPECT_EMBER_ERROR(cat({}), "cat", "non-empty");
  EXPECT_EMBER_ERROR(cat({scalar_tensor(1), scalar_tensor(2)}), "cat", "zero-dimensional");
  EXPECT_EMBER_ERROR(cat({zeros({2}), Tensor()}), "cat", "undefined");
}

// ---- stack ------------------------------------------------------------------------------

TEST(Stack, Values) {
  Tensor a = seq({2, 3}), b = seq({2, 3}, 10);
  Tensor s0 = stack({a, b});
  ASSERT_EQ(s0.shape(), (Shape{2, 2, 3}));
  EXPECT_ALLCLOSE(s0.select(0, 1), b);
  Tensor s1 = stack({a, b}, 1);
  ASSERT_EQ(s1.shape(), (Shape{2, 2, 3}));
  EXPECT_ALLCLOSE(s1, T({0, 1, 2, 10, 11, 12, 3, 4, 5, 13, 14, 15}, {2, 2, 3}));
  Tensor s2 = stack({a, b, a}, -1);
  ASSERT_EQ(s2.shape(), (Shape{2, 3, 3}));
  EXPECT_ALLCLOSE(s2.select(2, 1), b);
  EXPECT_ALLCLOSE(stack({scalar_tensor(1), scalar_tensor(2)}), T({1, 2}, {2}, kFloat32));
  EXPECT_EQ(stack({zeros({0, 2}), zeros({0, 2})}, 1).shape(), (Shape{0, 2, 2}));
  EXPECT_ALLCLOSE(stack({noncontiguous(a), b}, 2).select(2, 0), a);
}

TEST(Stack, Grad) {
  EXPECT_GRADCHECK([](auto& x) { return stack({x[0], x[1], x[0]}, 1); }, {uniform({2, 3}), uniform({2, 3}, -1, 1, 2)});
  EXPECT_GRADCHECK([](auto& x) { return stack({x[0].t(), x[1]}, -1); }, {uniform({3, 2}), uniform({2, 3}, -1, 1, 2)});
}

TEST(Stack, Errors) {
  EXPECT_EMBER_ERROR(stack({zeros({2, 3}), zeros({2, 4})}), "stack", "[2,3]", "[2,4]");
  EXPECT_EMBER_ERROR(stack({zeros({2, 3})}, 3), "stack", "dimension 3");
  EXPECT_EMBER_ERROR(stack({}), "stack", "non-empty");
}

// ---- pad --------------------------------------------------------------------------------

TEST(Pad, OneDim) {
  EXPECT_ALLCLOSE(pad(T({1, 2, 3}, {3}), {2, 1}), T({0, 0, 1, 2, 3, 0}, {6}));
  EXPECT_ALLCLOSE(pad(T({1, 2, 3}, {3}), {0, 2}, -1.5), T({1, 2, 3, -1.5, -1.5}, {5}));
  EXPECT_ALLCLOSE(pad(T({1, 2, 3}, {3}), {}), T({1, 2, 3}, {3}));
}

TEST(Pad, TwoDimAsymmetric) {
  Tensor x = seq({2, 3}, 1);
  // last dim (1 before, 2 after), first dim (0 before, 1 after).
  EXPECT_ALLCLOSE(pad(x, {1, 2, 0, 1}, 9), T({9, 1, 2, 3, 9, 9,  //
                                             9, 4, 5, 6, 9, 9,  //
                                             9, 9, 9, 9, 9, 9},
                                            {3, 6}));
  EXPECT_ALLCLOSE(pad(x, {0, 0, 2, 0}), ref_pad(x, {0, 0, 2, 0}, 0));
}

TEST(Pad, FourDimAsymmetric) {
  Tensor x = uniform({2, 3, 4, 5});
  for (const auto& p : std::vector<std::vector<int64_t>>{{1, 2}, {0, 3, 2, 1}, {1, 0, 2, 3, 1, 1, 0, 2}}) {
    EXPECT_ALLCLOSE(pad(x, p, 0.25), ref_pad(x, p, 0.25), 0, 0);
    EXPECT_ALLCLOSE(pad(noncontiguous(x), p, 0.25), ref_pad(x, p, 0.25), 0, 0);
  }
}

TEST(Pad, NegativeCrops) {
  Tensor x = seq({3, 4});
  EXPECT_ALLCLOSE(pad(x, {-1, -2}), x.slice(1, 1, 2));
  EXPECT_ALLCLOSE(pad(x, {1, -1, -2, 0}), T({0, 8, 9, 10}, {1, 4}));
  EXPECT_EQ(pad(x, {-2, -2}).shape(), (Shape{3, 0}));
  EXPECT_EQ(pad(x, {-5, 2}).shape(), (Shape{3, 1}));  // all of x cropped, one padded column
  EXPECT_ALLCLOSE(pad(x, {-5, 2}, 3), full({3, 1}, 3, kFloat64));
  EXPECT_GRADCHECK([](auto& v) { return pad(v[0], {1, -2, -1, 2}); }, {uniform({3, 4})});
}

TEST(Pad, DtypesAndSizeZero) {
  Tensor i = pad(arange(3), {1, 1}, 7);
  EXPECT_EQ(i.dtype(), kInt64);
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{7, 0, 1, 2, 7}));
  EXPECT_ALLCLOSE(pad(zeros({0, 2}, kFloat64), {0, 0, 1, 1}, 2), full({2, 2}, 2, kFloat64));
  EXPECT_ALLCLOSE(pad(zeros({1, 1}, kFloat64), {1, 0}), zeros({1, 2}, kFloat64));
}

TEST(Pad, Grad) {
  EXPECT_GRADCHECK([](auto& v) { return pad(v[0], {2, 1}); }, {uniform({4})});
  EXPECT_GRADCHECK([](auto& v) { return pad(v[0], {1, 0, 0, 2}, 1.0); }, {uniform({2, 3})});
  EXPECT_GRADCHECK([](auto& v) { return pad(v[0].transpose(1, 3), {1, 2, 0, 1, 2, 0}); }, {uniform({1, 2, 3, 2})});
}

TEST(Pad, Errors) {
  EXPECT_EMBER_ERROR(pad(zeros({2, 3}), {1}), "pad", "even");
  EXPECT_EMBER_ERROR(pad(zeros({2, 3}), {1, 1, 1, 1, 1, 1}), "pad", "[2,3]");
  EXPECT_EMBER_ERROR(pad(zeros({2, 3}), {-2, -2}), "pad", "[2,3]", "negative");
}
