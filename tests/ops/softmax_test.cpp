// softmax / log_softmax tests: closed-form values, every dim, gradients, non-contiguous and
// size-0/1 inputs, stability for huge logits, 16-bit dtypes, a threaded case against a
// composition of primitives, and error messages.
#include <cmath>

#include "harness/op_harness.h"

using namespace ember;
using namespace ember::test;

namespace {
/// softmax from primitives: exp(x - max) / sum(exp(x - max)) along d.
Tensor composed_softmax(const Tensor& x, int64_t d) {
  Tensor e = exp(sub(x, max(x, d, true).values.detach()));
  return div(e, sum(e, {d}, true));
}
Tensor composed_log_softmax(const Tensor& x, int64_t d) {
  Tensor s = sub(x, max(x, d, true).values.detach());
  return sub(s, log(sum(exp(s), {d}, true)));
}
}  // namespace

TEST(Softmax, ClosedFormValues) {
  Tensor x = T({1, 2, 3, 0, 0, 0}, {2, 3});
  double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_ALLCLOSE(softmax(x, 1),
                  T({std::exp(1.0) / z, std::exp(2.0) / z, std::exp(3.0) / z, 1.0 / 3, 1.0 / 3, 1.0 / 3}, {2, 3}), 1e-12,
                  1e-14);
  EXPECT_ALLCLOSE(sum(softmax(uniform({4, 7}, -5, 5), 1), {1}), ones({4}, kFloat64), 1e-12, 1e-12);
  // float32 path too.
  EXPECT_ALLCLOSE(softmax(x.to(kFloat32), -1).to(kFloat64), softmax(x, 1), 1e-6, 1e-7);
}

TEST(Softmax, EveryDimMatchesComposition) {
  Tensor x = uniform({2, 3, 4}, -2, 2);
  for (int64_t d : {0, 1, 2, -1, -3}) {
    EXPECT_ALLCLOSE(softmax(x, d), composed_softmax(x, d), 1e-12, 1e-14);
    EXPECT_ALLCLOSE(sum(softmax(x, d), {d}), ones(sum(x, {d}).shape(), kFloat64), 1e-12, 1e-12);
  }
}

TEST(Softmax, Gradcheck) {
  for (int64_t d : {0, 1, 2})
    EXPECT_GRADCHECK([d](auto& x) { return softmax(x[0], d); }, {uniform({2, 3, 4}, -2, 2, 5)});
  EXPECT_GRADCHECK([](auto& x) { return softmax(x[0], 0); }, {uniform({5}, -2, 2, 6)});
}

TEST(LogSoftmax, ValuesEveryDim) {
  Tensor x = uniform({3, 2, 5}, -3, 3, 7);
  for (int64_t d : {0, 1, 2}) {
    EXPECT_ALLCLOSE(log_softmax(x, d), composed_log_softmax(x, d), 1e-12, 1e-13);
    EXPECT_ALLCLOSE(log_softmax(x, d), log(softmax(x, d)), 1e-12, 1e-13);
  }
}

TEST(LogSoftmax, Gradcheck) {
  for (int64_t d : {0, 1, 2, -1})
    EXPECT_GRADCHECK([d](auto& x) { return log_softmax(x[0], d); }, {uniform({3, 2, 4}, -2, 2, 8)});
}

TEST(Softmax, NonContiguousInputs) {
  Tensor x = uniform({5, 6}, -2, 2, 9);
  Tensor nc = noncontiguous(x);
  ASSERT_FALSE(nc.is_contiguous());
  for (int64_t d : {0, 1}) {
    EXPECT_ALLCLOSE(softmax(nc, d), softmax(x, d), 1e-14, 1e-15);
    EXPECT_ALLCLOSE(log_softmax(nc, d), log_softmax(x, d), 1e-14, 1e-15);
  }
  // A strided slice along the softmax dim, and gradients through a transposed view.
  Tensor big = uniform({4, 10}, -2, 2, 10);
  Tensor sl = big.slice(1, 0, 10, 2);
  EXPECT_ALLCLOSE(softmax(sl, 1), composed_softmax(sl.contiguous(), 1), 1e-12, 1e-14);
  EXPECT_GRADCHECK([](auto& x) { return softmax(x[0].t(), 1); }, {uniform({4, 3}, -2, 2, 11)});
  EXPECT_GRADCHECK([](auto& x) { return log_softmax(x[0].t(), 0); }, {uniform({4, 3}, -2, 2, 12)});
}

TEST(Softmax, SizeOneAndEmptyDims) {
  EXPECT_ALLCLOSE(softmax(uniform({3, 1}), 1), ones({3, 1}, kFloat64));
  EXPECT_ALLCLOSE(log_softmax(uniform({3, 1}), 1), zeros({3, 1}, kFloat64));
  EXPECT_ALLCLOSE(softmax(uniform({1, 4}), 0), ones({1, 4}, kFloat64));
  EXPECT_ALLCLOSE(softmax(scalar_tensor(3.0, kFloat64), 0), scalar_tensor(1.0, kFloat64));
  EXPECT_EQ(softmax(zeros({0, 4}), 1).shape(), (Shape{0, 4}));
  EXPECT_EQ(log_softmax(zeros({3, 0}), 1).shape(), (Shape{3, 0}));
  EXPECT_GRADCHECK([](auto& x) { return softmax(x[0], 1); }, {uniform({3, 1}, -1, 1, 13)});
  // Backward through an empty softmax produces an empty gradient.
  Tensor e = zeros({0, 3}, kFloat64).set_requires_grad();
  sum(softmax(e, 1)).backward();
  EXPECT_EQ(e.grad().shape(), (Shape{0, 3}));
}

TEST(Softmax, HugeLogitsStayFinite) {
  Tensor x = T({1000, 0, -1000, 1000, 1000, 999}, {2, 3});
  Tensor s = softmax(x, 1), ls = log_softmax(x, 1);
  EXPECT_TRUE(all(isfinite(s)).item<bool>());
  EXPECT_TRUE(all(isfinite(ls)).item<bool>());
  double z = 2 + std::exp(-1.0);
  EXPECT_ALLCLOSE(s, T({1, 0, 0, 1 / z, 1 / z, std::exp(-1.0) / z}, {2, 3}), 1e-12, 1e-300);
  EXPECT_ALLCLOSE(ls, T({0, -1000, -2000, -std::log(z), -std::log(z), -1 - std::log(z)}, {2, 3}), 1e-12, 1e-12);
  Tensor f = x.to(kFloat32);
  EXPECT_TRUE(all(isfinite(softmax(f, 1))).item<bool>());
  EXPECT_TRUE(all(isfinite(log_softmax(f, 1))).item<bool>());
  Tensor xg = x.clone().set_requires_grad();
  sum(mul(log_softmax(xg, 1), uniform({2, 3}))).backward();
  EXPECT_TRUE(all(isfinite(xg.grad())).item<bool>());
}

TEST(Softmax, HalfAndBFloat16) {
  Tensor x = uniform({6, 17}, -4, 4, 14);
  for (DType t : {kFloat16, kBFloat16}) {
    Tensor xt = x.to(t);
    Tensor ref = softmax(xt.to(kFloat64), 1);
    EXPECT_EQ(softmax(xt, 1).dtype(), t);
    EXPECT_ALLCLOSE(softmax(xt, 1).to(kFloat64), ref, 2e-2, 2e-3);
    EXPECT_ALLCLOSE(log_softmax(xt, 0).to(kFloat64), log_softmax(xt.to(kFloat64), 0), 2e-2, 2e-2);
    Tensor xr = xt.clone().set_requires_grad();
    sum(mul(softmax(xr, 1), x.to(t))).backward();
    Tensor x64 = xt.to(kFloat64).set_requires_grad();
    sum(mul(softmax(x64, 1), x)).backward();
    EXPECT_ALLCLOSE(xr.grad().to(kFloat64), x64.grad(), 5e-2, 2e-2);
  }
}

TEST(Softmax, ThreadedLargeMatchesComposition) {
  // [512,1000] crosses kGrainSize many times; compare forward and backward with primitives.
  Tensor x = mul(uniform({512, 1000}, -1, 1, 15), 8.0).to(kFloat32);
  Tensor w = uniform({512, 1000}, -1, 1, 16).to(kFloat32);
  for (int64_t d : {1, 0}) {
    Tensor a = x.clone().set_requires_grad(), b = x.clone().set_requires_grad();
    Tensor fa = softmax(a, d), fb = composed_softmax(b, d);
    EXPECT_ALLCLOSE(fa, fb, 1e-5, 1e-7);
    sum(mul(fa, w)).backward();
    sum(mul(fb, w)).backward();
    EXPECT_ALLCLOSE(a.grad(), b.grad(), 1e-4, 1e-6);
    Tensor la = x.clone().set_requires_grad(), lb = x.clone().set_requires_grad();
    Tensor ga = log_softmax(la, d), gb = composed_log_softmax(lb, d);
    EXPECT_ALLCLOSE(ga, gb, 1e-5, 1e-5);
    sum(mul(ga, w)).backward();
    sum(mul(gb, w)).backward();
    EXPECT_ALLCLOSE(la.grad(), lb.grad(), 1e-4, 1e-5);
  }
}

TEST(Softmax, Errors) {
  EXPECT_EMBER_ERROR(softmax(arange(4), 0), "softmax", "floating", "int64");
  EXPECT_EMBER_ERROR(softmax(zeros({2, 3}), 2), "softmax", "dimension 2", "rank 2");
  EXPECT_EMBER_ERROR(log_softmax(zeros({2, 3}), -3), "log_softmax", "dimension -3");
  EXPECT_EMBER_ERROR(softmax(Tensor(), 0), "softmax");
}
