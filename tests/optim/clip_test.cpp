// Gradient clipping tests: the global norm over several gradients (L2, L1, inf), scaling by
// max_norm / (norm + 1e-6) only when that is below 1, the fused loop against the op path on
// non-contiguous / 16-bit gradients, parameters without gradients, non-finite norms, bad arguments.
#include <cmath>

#include "optim/optim_test_util.h"

using namespace ember;
using namespace ember::test;
using namespace ember::optim;

TEST(ClipGradNorm, GlobalL2NormAndScaling) {
  Tensor a = param({3.0, 0.0}), b = param({0.0, 4.0, 0.0}, kFloat32), c = param({1.0});
  set_grad(a, {3.0, 0.0});
  set_grad(b, {0.0, 4.0, 0.0});  // c has no gradient
  double norm = clip_grad_norm_({a, b, c}, 1.0);
  EXPECT_DOUBLE_EQ(norm, 5.0);
  const double coef = 1.0 / (5.0 + 1e-6);
  EXPECT_ALLCLOSE(a.grad(), T({3.0 * coef, 0.0}, {2}), 1e-15, 0);
  EXPECT_ALLCLOSE(b.grad().to(kFloat64), T({0.0, 4.0 * coef, 0.0}, {3}), 1e-7, 0);
  EXPECT_FALSE(c.grad().defined());
  // The clipped gradients have norm max_norm * 5 / (5 + 1e-6); that is still above
  // max_norm - 1e-6, so (as PyTorch) a second call scales once more, by about 1 - 8e-7.
  Tensor before = a.grad().clone();
  double again = clip_grad_norm_({a, b, c}, 1.0);
  EXPECT_NEAR(again, 1.0, 1e-6);
  EXPECT_ALLCLOSE(a.grad(), mul(before, 1.0 / (again + 1e-6)), 1e-15, 0);
}

TEST(ClipGradNorm, BelowMaxNormUntouched) {
  Tensor a = param({0.3, -0.4});
  set_grad(a, {0.3, -0.4});
  Tensor before = a.grad().clone();
  EXPECT_NEAR(clip_grad_norm_({a}, 2.0), 0.5, 1e-15);
  EXPECT_TRUE(bit_equal(a.grad(), before));
  EXPECT_EQ(clip_grad_norm_({param({1.0})}, 1.0), 0.0);  // no gradients at all
}

TEST(ClipGradNorm, OtherNormTypes) {
  Tensor a = param({1.0, -2.0}), b = param({3.0});
  set_grad(a, {1.0, -2.0});
  set_grad(b, {-3.0});
  EXPECT_DOUBLE_EQ(clip_grad_norm_({a, b}, 100.0, 1.0), 6.0);
  EXPECT_DOUBLE_EQ(clip_grad_norm_({a, b}, 100.0, INFINITY), 3.0);
  EXPECT_NEAR(clip_grad_norm_({a, b}, 100.0, 3.0), std::cbrt(1.0 + 8.0 + 27.0), 1e-14);
  clip_grad_norm_({a, b}, 1.5, INFINITY);
  EXPECT_ALLCLOSE(b.grad(), T({-3.0 * 1.5 / (3.0 + 1e-6)}, {1}), 1e-15, 0);
}

TEST(ClipGradNorm, LargeNonContiguousAndHalfGradients) {
  // Fused (large contiguous float32), strided and bfloat16 gradients against a float64 reference.
  const int64_t n = 50000;
  std::vector<double> va = wave(n, 0.2), vb = wave(24, 1.3), vc = wave(8, 2.1);
  Tensor a = param(va, kFloat32), b = param(std::vector<double>(12, 0.0)), c = param(vc, kBFloat16);
  a.set_grad(from_vector(va, {n}, kFloat32));
  b.set_grad(from_vector(vb, {24}, kFloat64).slice(0, 0, 24, 2));
  c.set_grad(from_vector(vc, {8}, kBFloat16));
  double ss = 0.0;
  for (double v : va) ss += static_cast<double>(static_cast<float>(v)) * static_cast<float>(v);
  for (size_t i = 0; i < 24; i += 2) ss += vb[i] * vb[i];
  for (double v : c.grad().to_vector<double>()) ss += v * v;
  Tensor ga = a.grad().clone();
  double norm = clip_grad_norm_({a, b, c}, 1.0);
  EXPECT_NEAR(norm, std::sqrt(ss), 1e-9 * std::sqrt(ss));
  float coef = static_cast<float>(1.0 / (norm + 1e-6));
  EXPECT_TRUE(bit_equal(a.grad(), mul(ga, scalar_tensor(coef))));
  EXPECT_NEAR(b.grad().to_vector<double>()[1], vb[2] / (norm + 1e-6), 1e-15);
  EXPECT_EQ(c.grad().dtype(), kBFloat16);
}

TEST(ClipGradNorm, NonFinite) {
  Tensor a = param({1.0, 2.0});
  set_grad(a, {1.0, NAN});
  EXPECT_TRUE(std::isnan(clip_grad_norm_({a}, 1.0)));
  set_grad(a, {1.0, INFINITY});
  EXPECT_EMBER_ERROR(clip_grad_norm_({a}, 1.0, 2.0, true), "clip_grad_norm_", "inf");
  EXPECT_EQ(a.grad().to_vector<double>()[0], 1.0);  // untouched on error
}

TEST(ClipGradNorm, Errors) {
  Tensor a = param({1.0});
  set_grad(a, {1.0});
  EXPECT_EMBER_ERROR(clip_grad_norm_({a}, -1.0), "max_norm", "-1");
  EXPECT_EMBER_ERROR(clip_grad_norm_({a}, 1.0, 0.0), "norm_type");
  EXPECT_EMBER_ERROR(clip_grad_norm_({a, Tensor()}, 1.0), "parameter 1 is undefined");
  EXPECT_EMBER_ERROR(clip_grad_value_({a}, -0.5), "clip_value", "-0.5");
}

TEST(ClipGradValue, ClampsInPlace) {
  Tensor a = param({0.0, 0.0, 0.0, 0.0}), b = param({1.0});
  set_grad(a, {-3.0, 0.5, 2.0, -0.1});
  Tensor g = a.grad();
  clip_grad_value_({a, b}, 1.0);
  EXPECT_TRUE(g.is_same(a.grad()));  // same tensor, modified in place
  EXPECT_ALLCLOSE(a.grad(), T({-1.0, 0.5, 1.0, -0.1}, {4}), 0, 0);
  EXPECT_FALSE(b.grad().defined());
}
