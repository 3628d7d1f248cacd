// Loss tests: fused cross-entropy (values vs -log_softmax picked by hand, label smoothing vs
// its formula, every reduction, gradients, spatial/unbatched shapes, huge logits, a threaded
// case vs primitives, 16-bit dtypes, errors), nll_loss, mse_loss and BCE-with-logits.
#include <cmath>

#include "harness/op_harness.h"

using namespace ember;
using namespace ember::test;

namespace {
Tensor I64(const std::vector<int64_t>& v, const Shape& s) { return from_vector(v, s); }

/// Per-sample cross-entropy from host loops: (1-ls)*(lse - x_t) + ls*(lse - mean x).
std::vector<double> naive_ce(const Tensor& x, const std::vector<int64_t>& t, double ls) {
  std::vector<double> v = x.to_vector<double>(), out;
  int64_t N = x.size(0), C = x.size(1);
  for (int64_t i = 0; i < N; ++i) {
    double m = -INFINITY, s = 0, mean = 0;
    for (int64_t j = 0; j < C; ++j) m = std::max(m, v[i * C + j]);
    for (int64_t j = 0; j < C; ++j) s += std::exp(v[i * C + j] - m), mean += v[i * C + j] / C;
    double lse = m + std::log(s);
    out.push_back((1 - ls) * (lse - v[i * C + t[i]]) + ls * (lse - mean));
  }
  return out;
}
Tensor one_hot_host(const std::vector<int64_t>& t, int64_t C, DType dt) {
  std::vector<double> v(t.size() * C, 0.0);
  for (size_t i = 0; i < t.size(); ++i) v[i * C + t[i]] = 1.0;
  return from_vector(v, {static_cast<int64_t>(t.size()), C}, TensorOptions(dt));
}
const std::vector<int64_t> kT{0, 3, 1, 2, 3};
}  // namespace

TEST(CrossEntropy, ValuesMatchPickedLogSoftmax) {
  Tensor x = uniform({5, 4}, -3, 3);
  Tensor t = I64(kT, {5});
  Tensor ls = log_softmax(x, 1);
  std::vector<double> lsv = ls.to_vector<double>(), picked;
  for (int64_t i = 0; i < 5; ++i) picked.push_back(-lsv[i * 4 + kT[i]]);
  Tensor none = cross_entropy(x, t, 0.0, Reduction::None);
  EXPECT_ALLCLOSE(none, T(picked, {5}), 1e-12, 1e-14);
  EXPECT_ALLCLOSE(none, T(naive_ce(x, kT, 0.0), {5}), 1e-12, 1e-14);
  double s = 0;
  for (double p : picked) s += p;
  EXPECT_NEAR(cross_entropy(x, t).item(), s / 5, 1e-12);
  EXPECT_NEAR(cross_entropy(x, t, 0.0, Reduction::Sum).item(), s, 1e-12);
  EXPECT_EQ(cross_entropy(x, t).dim(), 0);
  // torch.nn.functional.cross_entropy(torch.tensor([[1.,2.,3.]]), torch.tensor([2])) = 0.40760596
  EXPECT_NEAR(cross_entropy(T({1, 2, 3}, {1, 3}), I64({2}, {1})).item(), 0.40760596444, 1e-9);
}

TEST(CrossEntropy, LabelSmoothingFormula) {
  Tensor x = uniform({5, 4}, -3, 3, 2);
  Tensor t = I64(kT, {5});
  for (double a : {0.1, 0.5, 0.9}) {
    Tensor lsm = log_softmax(x, 1);
    // (1-a)*nll + a*mean_j(-log_softmax), built from primitives.
    Tensor nll = neg(sum(mul(lsm, one_hot_host(kT, 4, kFloat64)), {1}));
    Tensor smooth = neg(mean(lsm, {1}));
    Tensor expect = add(mul(nll, 1 - a), mul(smooth, a));
    EXPECT_ALLCLOSE(cross_entropy(x, t, a, Reduction::None), expect, 1e-12, 1e-14);
    EXPECT_ALLCLOSE(cross_entropy(x, t, a, Reduction::None), T(naive_ce(x, kT, a), {5}), 1e-12, 1e-14);
    EXPECT_NEAR(cross_entropy(x, t, a).item(), mean(expect).item(), 1e-12);
  }
}

TEST(CrossEntropy, GradcheckEveryReduction) {
  for (Reduction r : {Reduction::None, Reduction::Mean, Reduction::Sum})
    for (double a : {0.0, 0.2}) {
      EXPECT_GRADCHECK([r, a](auto& x) { return cross_entropy(x[0], I64(kT, {5}), a, r); }, {uniform({5, 4}, -2, 2, 3)});
    }
}

TEST(CrossEntropy, BackwardIsSoftmaxMinusSmoothedOneHot) {
  Tensor x = uniform({5, 4}, -2, 2, 4).set_requires_grad();
  cross_entropy(x, I64(kT, {5}), 0.1, Reduction::Sum).backward();
  Tensor expect = sub(softmax(x.detach(), 1), add(mul(one_hot_host(kT, 4, kFloat64), 0.9), 0.1 / 4));
  EXPECT_ALLCLOSE(x.grad(), expect, 1e-12, 1e-14);
}

TEST(CrossEntropy, SpatialAndUnbatchedShapes) {
  // (N,C,d) with target (N,d) equals the (N*d,C) case with C moved last.
  Tensor x = uniform({2, 4, 3}, -2, 2, 5);
  Tensor t = I64({0, 3, 1, 2, 2, 0}, {2, 3});
  Tensor flat = x.permute({0, 2, 1}).reshape({6, 4});
  Tensor none = cross_entropy(x, t, 0.1, Reduction::None);
  EXPECT_EQ(none.shape(), (Shape{2, 3}));
  EXPECT_ALLCLOSE(none.reshape({6}), cross_entropy(flat, t.reshape({6}), 0.1, Reduction::None), 1e-13, 1e-14);
  EXPECT_NEAR(cross_entropy(x, t).item(), cross_entropy(flat, t.reshape({6})).item(), 1e-13);
  EXPECT_GRADCHECK([t](auto& v) { return cross_entropy(v[0], t, 0.1, Reduction::Mean); }, {x});
  // Unbatched: logits (C), target ().
  Tensor u = T({1, 2, 3}, {3});
  Tensor scalar_t = I64({2}, {1}).reshape({});
  EXPECT_NEAR(cross_entropy(u, scalar_t, 0.0, Reduction::None).item(), 0.40760596444, 1e-9);
  EXPECT_EQ(cross_entropy(u, scalar_t, 0.0, Reduction::None).dim(), 0);
  EXPECT_GRADCHECK([scalar_t](auto& v) { return cross_entropy(v[0], scalar_t); }, {u});
}

TEST(CrossEntropy, NonContiguousAndSizeOne) {
  Tensor x = uniform({5, 4}, -2, 2, 6);
  Tensor t = I64(kT, {5});
  EXPECT_ALLCLOSE(cross_entropy(noncontiguous(x), t, 0.2, Reduction::None), cross_entropy(x, t, 0.2, Reduction::None),
                  1e-14, 1e-15);
  Tensor tb = I64({0, 0, 3, 1, 1, 2, 2, 0, 3, 3}, {10});
  EXPECT_ALLCLOSE(cross_entropy(x, noncontiguous(tb).slice(0, 0, 10, 2)), cross_entropy(x, t), 1e-14, 1e-15);
  EXPECT_GRADCHECK([t](auto& v) { return cross_entropy(v[0].t(), t, 0.2); }, {uniform({4, 5}, -2, 2, 7)});
  // One class: the loss is 0 without smoothing, and still 0 with it (log_softmax is 0).
  EXPECT_ALLCLOSE(cross_entropy(uniform({3, 1}), I64({0, 0, 0}, {3}), 0.3, Reduction::None), zeros({3}, kFloat64));
  // One sample.
  EXPECT_GRADCHECK([](auto& v) { return cross_entropy(v[0], I64({1}, {1})); }, {uniform({1, 3}, -1, 1, 8)});
}

TEST(CrossEntropy, EmptyBatch) {
  Tensor x = zeros({0, 3}, kFloat64).set_requires_grad();
  Tensor t = I64({}, {0});
  EXPECT_EQ(cross_entropy(x, t, 0.0, Reduction::None).shape(), (Shape{0}));
  EXPECT_EQ(cross_entropy(x, t, 0.0, Reduction::Sum).item(), 0.0);
  EXPECT_TRUE(std::isnan(cross_entropy(x, t).item()));
  cross_entropy(x, t, 0.0, Reduction::Sum).backward();
  EXPECT_EQ(x.grad().shape(), (Shape{0, 3}));
}

TEST(CrossEntropy, HugeLogitsStayFinite) {
  Tensor x = T({1000, -1000, 0, -1000, 1000, 1000}, {2, 3});
  Tensor t = I64({1, 0}, {2});
  for (DType dt : {kFloat64, kFloat32}) {
    Tensor xv = x.to(dt).detach().clone().set_requires_grad();
    Tensor l = cross_entropy(xv, t, 0.1, Reduction::None);
    EXPECT_TRUE(all(isfinite(l)).item<bool>());
    EXPECT_ALLCLOSE(l.to(kFloat64), T(naive_ce(x, {1, 0}, 0.1), {2}), 1e-6, 1e-3);
    sum(l).backward();
    EXPECT_TRUE(all(isfinite(xv.grad())).item<bool>());
  }
}

TEST(CrossEntropy, ThreadedLargeMatchesComposition) {
  const int64_t N = 512, C = 1000;
  Tensor x = mul(uniform({N, C}, -1, 1, 9), 5.0).to(kFloat32);
  std::vector<int64_t> tv(N);
  for (int64_t i = 0; i < N; ++i) tv[i] = (i * 37 + 11) % C;
  Tensor t = I64(tv, {N});
  Tensor oh = one_hot_host(tv, C, kFloat32);
  for (double a : {0.0, 0.1}) {
    Tensor xa = x.clone().set_requires_grad(), xb = x.clone().set_requires_grad();
    Tensor la = cross_entropy(xa, t, a);
    Tensor lsm = log_softmax(xb, 1);
    Tensor lb = mean(add(mul(neg(sum(mul(lsm, oh), {1})), 1 - a), mul(neg(mean(lsm, {1})), a)));
    EXPECT_NEAR(la.item(), lb.item(), 1e-5);
    la.backward();
    lb.backward();
    EXPECT_ALLCLOSE(xa.grad(), xb.grad(), 1e-4, 1e-8);
  }
}

TEST(CrossEntropy, HalfAndBFloat16) {
  Tensor x = uniform({8, 10}, -3, 3, 10);
  std::vector<int64_t> tv{0, 9, 4, 4, 2, 7, 1, 3};
  Tensor t = I64(tv, {8});
  for (DType dt : {kFloat16, kBFloat16}) {
    Tensor xt = x.to(dt);
    Tensor l = cross_entropy(xt, t, 0.1, Reduction::None);
    EXPECT_EQ(l.dtype(), dt);
    EXPECT_ALLCLOSE(l.to(kFloat64), cross_entropy(xt.to(kFloat64), t, 0.1, Reduction::None), 2e-2, 2e-2);
    Tensor xr = xt.clone().set_requires_grad();
    cross_entropy(xr, t, 0.1).backward();
    Tensor x64 = xt.to(kFloat64).set_requires_grad();
    cross_entropy(x64, t, 0.1).backward();
    EXPECT_ALLCLOSE(xr.grad().to(kFloat64), x64.grad(), 2e-2, 2e-3);
  }
}

TEST(CrossEntropy, Errors) {
  Tensor x = zeros({3, 5});
  EXPECT_EMBER_ERROR(cross_entropy(x, I64({0, 7, 1}, {3})), "cross_entropy", "target 7", "[0, 5)");
  EXPECT_EMBER_ERROR(cross_entropy(x, I64({0, 1, -1}, {3})), "cross_entropy", "target -1");
  EXPECT_EMBER_ERROR(cross_entropy(x, zeros({3})), "cross_entropy", "int64", "float32");
  EXPECT_EMBER_ERROR(cross_entropy(x, I64({0, 1}, {2})), "cross_entropy", "[3,5]", "[2]", "expected target [3]");
  EXPECT_EMBER_ERROR(cross_entropy(zeros({2, 3, 4}), I64({0, 1}, {2})), "cross_entropy", "[2,3,4]", "[2,4]");
  EXPECT_EMBER_ERROR(cross_entropy(x, I64({0, 1, 2}, {3}), 1.0), "cross_entropy", "label_smoothing");
  EXPECT_EMBER_ERROR(cross_entropy(x, I64({0, 1, 2}, {3}), -0.1), "cross_entropy", "label_smoothing");
  EXPECT_EMBER_ERROR(cross_entropy(arange(6).reshape({3, 2}), I64({0, 1, 1}, {3})), "cross_entropy", "floating");
  EXPECT_EMBER_ERROR(cross_entropy(zeros({3, 0}), I64({0, 0, 0}, {3})), "cross_entropy", "no classes");
  EXPECT_EMBER_ERROR(cross_entropy(scalar_tensor(1.0), I64({0}, {1}).reshape({})), "cross_entropy", "(N,C)");
}

TEST(NllLoss, ValuesAndReductions) {
  Tensor lp = log_softmax(uniform({5, 4}, -2, 2, 11), 1);
  Tensor t = I64(kT, {5});
  std::vector<double> v = lp.to_vector<double>(), picked;
  for (int64_t i = 0; i < 5; ++i) picked.push_back(-v[i * 4 + kT[i]]);
  EXPECT_ALLCLOSE(nll_loss(lp, t, Reduction::None), T(picked, {5}), 0, 0);
  EXPECT_ALLCLOSE(nll_loss(lp, t), cross_entropy(uniform({5, 4}, -2, 2, 11), t), 1e-12, 1e-14);
  EXPECT_NEAR(nll_loss(lp, t, Reduction::Sum).item(), cross_entropy(uniform({5, 4}, -2, 2, 11), t, 0.0, Reduction::Sum).item(),
              1e-12);
  EXPECT_ALLCLOSE(nll_loss(noncontiguous(lp), t, Reduction::None), T(picked, {5}), 0, 0);
  // Spatial shape.
  Tensor x3 = uniform({2, 3, 2}, -1, 1, 12);
  Tensor t3 = I64({0, 2, 1, 1}, {2, 2});
  EXPECT_ALLCLOSE(nll_loss(log_softmax(x3, 1), t3, Reduction::None), cross_entropy(x3, t3, 0.0, Reduction::None), 1e-12,
                  1e-14);
}

TEST(NllLoss, Gradcheck) {
  for (Reduction r : {Reduction::None, Reduction::Mean, Reduction::Sum})
    EXPECT_GRADCHECK([r](auto& x) { return nll_loss(x[0], I64(kT, {5}), r); }, {uniform({5, 4}, -2, 2, 13)});
  EXPECT_GRADCHECK([](auto& x) { return nll_loss(log_softmax(x[0], 1), I64(kT, {5})); }, {uniform({5, 4}, -2, 2, 14)});
}

TEST(NllLoss, Errors) {
  EXPECT_EMBER_ERROR(nll_loss(zeros({2, 3}), I64({0, 3}, {2})), "nll_loss", "target 3", "[0, 3)");
  EXPECT_EMBER_ERROR(nll_loss(zeros({2, 3}), I64({0}, {1})), "nll_loss", "[2,3]", "[1]");
  EXPECT_EMBER_ERROR(nll_loss(zeros({2, 3}), zeros({2}, kInt32)), "nll_loss", "int64", "int32");
}

TEST(MseLoss, ValuesBroadcastAndReductions) {
  Tensor a = T({1, 2, 3, 4}, {2, 2}), b = T({0, 2, 5, 4}, {2, 2});
  EXPECT_ALLCLOSE(mse_loss(a, b, Reduction::None), T({1, 0, 4, 0}, {2, 2}));
  EXPECT_NEAR(mse_loss(a, b).item(), 1.25, 1e-15);
  EXPECT_NEAR(mse_loss(a, b, Reduction::Sum).item(), 5.0, 1e-15);
  // Broadcasting (2,2) with (2): the loss has the broadcast shape.
  EXPECT_ALLCLOSE(mse_loss(a, T({1, 1}, {2}), Reduction::None), T({0, 1, 4, 9}, {2, 2}));
  EXPECT_ALLCLOSE(mse_loss(noncontiguous(a), b, Reduction::None), T({1, 0, 4, 0}, {2, 2}));
  EXPECT_TRUE(std::isnan(mse_loss(zeros({0}), zeros({0})).item()));
  EXPECT_EMBER_ERROR(mse_loss(zeros({2, 3}), zeros({4})), "mse_loss", "[2,3]", "[4]");
  EXPECT_EMBER_ERROR(mse_loss(arange(3), arange(3)), "mse_loss", "floating");
}

TEST(MseLoss, Gradcheck) {
  for (Reduction r : {Reduction::None, Reduction::Mean, Reduction::Sum}) {
    EXPECT_GRADCHECK([r](auto& x) { return mse_loss(x[0], x[1], r); }, {uniform({3, 4}), uniform({3, 4}, -1, 1, 2)});
    EXPECT_GRADCHECK([r](auto& x) { return mse_loss(x[0], x[1], r); }, {uniform({3, 4}), uniform({4}, -1, 1, 3)});
  }
}

TEST(BceWithLogits, ValuesAndStability) {
  Tensor x = T({-2, 0, 0.5, 3}, {4}), t = T({0, 1, 0.25, 1}, {4});
  std::vector<double> xv = x.to_vector<double>(), tv = t.to_vector<double>(), e;
  for (size_t i = 0; i < 4; ++i) {
    double s = 1 / (1 + std::exp(-xv[i]));
    e.push_back(-(tv[i] * std::log(s) + (1 - tv[i]) * std::log(1 - s)));
  }
  EXPECT_ALLCLOSE(binary_cross_entropy_with_logits(x, t, Reduction::None), T(e, {4}), 1e-12, 1e-14);
  EXPECT_NEAR(binary_cross_entropy_with_logits(x, t).item(), (e[0] + e[1] + e[2] + e[3]) / 4, 1e-12);
  EXPECT_NEAR(binary_cross_entropy_with_logits(x, t, Reduction::Sum).item(), e[0] + e[1] + e[2] + e[3], 1e-12);
  // Huge logits: exact limits, no inf/NaN.
  Tensor big = T({1000, -1000, 1000, -1000}, {4}), bt = T({1, 0, 0, 1}, {4});
  EXPECT_ALLCLOSE(binary_cross_entropy_with_logits(big, bt, Reduction::None), T({0, 0, 1000, 1000}, {4}), 1e-12, 1e-12);
  Tensor bf = big.to(kFloat32).set_requires_grad();
  binary_cross_entropy_with_logits(bf, bt).backward();
  EXPECT_ALLCLOSE(bf.grad(), T({0, 0, 0.25, -0.25}, {4}, kFloat32));
  // Gradient at exactly 0 is sigmoid(0) - t.
  Tensor z = zeros({2}, kFloat64).set_requires_grad();
  binary_cross_entropy_with_logits(z, T({0, 1}, {2}), Reduction::Sum).backward();
  EXPECT_ALLCLOSE(z.grad(), T({0.5, -0.5}, {2}));
  EXPECT_ALLCLOSE(binary_cross_entropy_with_logits(noncontiguous(uniform({3, 4})), uniform({3, 4}, 0, 1, 2), Reduction::None),
                  binary_cross_entropy_with_logits(uniform({3, 4}), uniform({3, 4}, 0, 1, 2), Reduction::None));
}

TEST(BceWithLogits, Gradcheck) {
  for (Reduction r : {Reduction::None, Reduction::Mean, Reduction::Sum})
    EXPECT_GRADCHECK([r](auto& x) { return binary_cross_entropy_with_logits(x[0], x[1], r); },
                     {uniform({3, 4}, -3, 3), uniform({3, 4}, 0, 1, 2)});
}

TEST(BceWithLogits, Errors) {
  EXPECT_EMBER_ERROR(binary_cross_entropy_with_logits(zeros({2, 3}), zeros({3})), "binary_cross_entropy_with_logits",
                     "[2,3]", "[3]");
  EXPECT_EMBER_ERROR(binary_cross_entropy_with_logits(arange(3), zeros({3})), "binary_cross_entropy_with_logits",
                     "floating");
}
