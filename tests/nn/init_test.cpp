// nn::init tests: fan computation, gains, the bounds and moments of each initialiser,
// PyTorch's default layer initialisation (Linear/Conv2d within +-1/sqrt(fan_in) with the
// uniform variance, norms at 1/0, Embedding N(0,1)), reproducibility with manual_seed, errors.
#include <cmath>

#include "harness/op_harness.h"

using namespace ember;
using namespace ember::test;
using namespace ember::nn;

namespace {

struct Moments {
  double lo, hi, mean, var;
};
Moments moments(const Tensor& t) {
  std::vector<double> v = t.to_vector<double>();
  Moments m{v[0], v[0], 0, 0};
  for (double x : v) m.lo = std::min(m.lo, x), m.hi = std::max(m.hi, x), m.mean += x;
  m.mean /= static_cast<double>(v.size());
  for (double x : v) m.var += (x - m.mean) * (x - m.mean);
  m.var /= static_cast<double>(v.size());
  return m;
}

/// Values within [-bound, bound], reaching close to both ends, with the U(-b,b) variance b^2/3.
void expect_uniform(const Tensor& t, double bound, double var_tol = 0.05) {
  Moments m = moments(t);
  EXPECT_GE(m.lo, -bound);
  EXPECT_LE(m.hi, bound);
  EXPECT_LT(m.lo, -0.9 * bound);
  EXPECT_GT(m.hi, 0.9 * bound);
  EXPECT_NEAR(m.var, bound * bound / 3, var_tol * bound * bound / 3);
  EXPECT_NEAR(m.mean, 0.0, 0.05 * bound);
}

}  // namespace

TEST(Init, FansAndGains) {
  EXPECT_EQ(init::calculate_fan_in_and_fan_out(zeros({5, 3})), (std::pair<int64_t, int64_t>{3, 5}));
  EXPECT_EQ(init::calculate_fan_in_and_fan_out(zeros({8, 4, 3, 2})), (std::pair<int64_t, int64_t>{24, 48}));
  EXPECT_DOUBLE_EQ(init::calculate_gain("relu"), std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(init::calculate_gain("tanh"), 5.0 / 3.0);
  EXPECT_DOUBLE_EQ(init::calculate_gain("linear"), 1.0);
  EXPECT_DOUBLE_EQ(init::calculate_gain("leaky_relu"), std::sqrt(2.0 / (1 + 0.01 * 0.01)));
  EXPECT_DOUBLE_EQ(init::calculate_gain("leaky_relu", std::sqrt(5.0)), std::sqrt(1.0 / 3.0));
  EXPECT_EMBER_ERROR(init::calculate_fan_in_and_fan_out(zeros({5})), "at least 2 dims", "[5]");
  EXPECT_EMBER_ERROR(init::calculate_gain("swish"), "unknown nonlinearity 'swish'");
}

TEST(Init, InitialiserDistributions) {
  manual_seed(1);
  Tensor t = empty({200, 100});
  expect_uniform(init::uniform_(t, -2, 2), 2.0);
  Moments n = moments(init::normal_(t, 1.5, 0.5));
  EXPECT_NEAR(n.mean, 1.5, 0.02);
  EXPECT_NEAR(std::sqrt(n.var), 0.5, 0.02);
  expect_uniform(init::kaiming_uniform_(t), std::sqrt(2.0) * std::sqrt(3.0 / 100));
  expect_uniform(init::kaiming_uniform_(t, 0, "fan_out", "relu"), std::sqrt(2.0) * std::sqrt(3.0 / 200));
  EXPECT_NEAR(std::sqrt(moments(init::kaiming_normal_(t, 0, "fan_in", "relu")).var), std::sqrt(2.0 / 100), 0.003);
  expect_uniform(init::xavier_uniform_(t), std::sqrt(6.0 / 300));
  EXPECT_NEAR(std::sqrt(moments(init::xavier_normal_(t, 2.0)).var), 2.0 * std::sqrt(2.0 / 300), 0.003);
  EXPECT_ALLCLOSE(init::ones_(t), ones({200, 100}), 0, 0);
  EXPECT_ALLCLOSE(init::zeros_(t), zeros({200, 100}), 0, 0);
  EXPECT_ALLCLOSE(init::constant_(t, 0.5), full({200, 100}, 0.5), 0, 0);
  // In place on a parameter that requires grad, with no graph recorded; float64 works too.
  Tensor p = zeros({3, 4}, kFloat64).set_requires_grad();
  init::uniform_(p, 1, 2);
  EXPECT_TRUE(p.is_leaf());
  EXPECT_GE(moments(p).lo, 1.0);
  EXPECT_EMBER_ERROR(init::uniform_(zeros({2}, TensorOptions(kInt64))), "uniform_", "floating", "int64");
  EXPECT_EMBER_ERROR(init::uniform_(t, 1, 0), "a <= b");
  EXPECT_EMBER_ERROR(init::normal_(t, 0, -1), "std");
  EXPECT_EMBER_ERROR(init::kaiming_uniform_(t, 0, "fan_avg"), "mode", "fan_avg");
  // Empty tensors are a no-op (as PyTorch), but still need 2 dims for the fans.
  EXPECT_EQ(init::kaiming_uniform_(zeros({3, 0})).numel(), 0);
  EXPECT_EQ(init::xavier_normal_(zeros({0, 3})).numel(), 0);
  EXPECT_EMBER_ERROR(init::xavier_uniform_(zeros({4})), "at least 2 dims");
  EXPECT_EMBER_ERROR(init::kaiming_normal_(zeros({4})), "at least 2 dims");
}

TEST(Init, LayerDefaultsMatchPyTorch) {
  manual_seed(2);
  Linear fc(784, 512);
  double b = 1.0 / std::sqrt(784.0);
  expect_uniform(fc.weight(), b);
  Moments bm = moments(fc.bias());
  EXPECT_GE(bm.lo, -b);
  EXPECT_LE(bm.hi, b);
  EXPECT_NEAR(bm.var, b * b / 3, 0.2 * b * b / 3);
  Conv2d conv(Conv2dOptions(32, 64, 3).groups(2));
  double cb = 1.0 / std::sqrt(16.0 * 9.0);  // fan_in = in/groups * kH * kW
  expect_uniform(conv.weight(), cb, 0.1);
  Moments cbm = moments(conv.bias());
  EXPECT_GE(cbm.lo, -cb);
  EXPECT_LE(cbm.hi, cb);
  Embedding emb(1000, 16);
  Moments e = moments(emb.weight());
  EXPECT_NEAR(e.mean, 0.0, 0.03);
  EXPECT_NEAR(e.var, 1.0, 0.05);
  LayerNorm ln({7});
  EXPECT_ALLCLOSE(ln.weight(), ones({7}), 0, 0);
  EXPECT_ALLCLOSE(ln.bias(), zeros({7}), 0, 0);
}

TEST(Init, ReproducibleWithManualSeed) {
  manual_seed(123);
  Linear a(20, 10);
  Embedding ea(5, 4);
  manual_seed(123);
  Linear b(20, 10);
  Embedding eb(5, 4);
  EXPECT_ALLCLOSE(a.weight(), b.weight(), 0, 0);
  EXPECT_ALLCLOSE(a.bias(), b.bias(), 0, 0);
  EXPECT_ALLCLOSE(ea.weight(), eb.weight(), 0, 0);
  Linear c(20, 10);  // the generator moved on
  EXPECT_FALSE(allclose(a.weight(), c.weight(), 0, 0));
  // reset_parameters re-draws.
  Tensor before = a.weight().clone();
  a.reset_parameters();
  EXPECT_FALSE(allclose(a.weight(), before, 0, 0));
}
