// Autograd engine tests: accumulation, shared subgraphs, no_grad, detach, grad(), anomaly mode.
#include "harness/op_harness.h"

using namespace ember;
using namespace ember::test;

TEST(Autograd, ChainRuleAndAccumulation) {
  Tensor x = tensor({1, 2, 3}, kFloat64).set_requires_grad();
  Tensor y = sum(mul(x, x));  // dy/dx = 2x
  y.backward();
  EXPECT_ALLCLOSE(x.grad(), tensor({2, 4, 6}, kFloat64));
  sum(x).backward();  // accumulates
  EXPECT_ALLCLOSE(x.grad(), tensor({3, 5, 7}, kFloat64));
  x.zero_grad();
  EXPECT_FALSE(x.grad().defined());
}

TEST(Autograd, DiamondGraphSumsBothPaths) {
  Tensor x = tensor({2}, kFloat64).set_requires_grad();
  Tensor a = mul(x, 3.0), b = exp(x);
  Tensor y = sum(add(mul(a, b), a));  // d/dx = 3e^x + 3x e^x + 3
  y.backward();
  double e2 = std::exp(2.0);
  EXPECT_NEAR(x.grad().item(), 3 * e2 + 6 * e2 + 3, 1e-9);
}

TEST(Autograd, NoGradGuardAndDetach) {
  Tensor x = ones({2}).set_requires_grad();
  {
    NoGradGuard ng;
    EXPECT_FALSE(mul(x, 2.0).requires_grad());
  }
  EXPECT_TRUE(mul(x, 2.0).requires_grad());
  EXPECT_FALSE(x.detach().requires_grad());
  EXPECT_EMBER_ERROR(sum(x.detach()).backward(), "does not require grad");
}

TEST(Autograd, BackwardNeedsScalarOrGrad) {
  Tensor x = ones({2, 2}).set_requires_grad();
  Tensor y = mul(x, 3.0);
  EXPECT_EMBER_ERROR(y.backward(), "one-element");
  y.backward(ones({2, 2}));
  EXPECT_ALLCLOSE(x.grad(), full({2, 2}, 3.0));
  EXPECT_EMBER_ERROR(mul(x, 3.0).backward(ones({3})), "does not match");
}

TEST(Autograd, GradFunctionLeavesLeavesAlone) {
  Tensor x = tensor({1, 2}, kFloat64).set_requires_grad();
  Tensor h = mul(x, x);
  auto g = grad({sum(h)}, {x, h});
  EXPECT_ALLCLOSE(g[0], tensor({2, 4}, kFloat64));
  EXPECT_ALLCLOSE(g[1], tensor({1, 1}, kFloat64));
  EXPECT_FALSE(x.grad().defined());
}

TEST(Autograd, IntegerTensorsCannotRequireGrad) {
  EXPECT_EMBER_ERROR(arange(3).set_requires_grad(), "floating");
}

TEST(Autograd, InPlaceOnLeafIsAnError) {
  Tensor x = ones({2}).set_requires_grad();
  EXPECT_EMBER_ERROR(x.fill_(2), "fill_", "leaf");
}

TEST(Autograd, AnomalyModeNamesTheOp) {
  set_anomaly_mode(true);
  Tensor x = tensor({0.0, 1.0}).set_requires_grad();
  EXPECT_EMBER_ERROR(log(x), "anomaly", "log", "[2]", "float32");
  Tensor y = sqrt(x);  // finite forward, infinite gradient at 0
  EXPECT_EMBER_ERROR(sum(y).backward(), "anomaly", "sqrt");
  set_anomaly_mode(false);
  EXPECT_NO_THROW(log(x));
}

TEST(Autograd, GradientsThroughViews) {
  EXPECT_GRADCHECK([](const std::vector<Tensor>& in) {
    Tensor x = in[0];
    return add(x.permute({1, 0}).reshape({3, 2}).slice(0, 1, 3), x.t().slice(0, 0, 2).flatten().reshape({2, 2}));
  }, {uniform({2, 3})});
  EXPECT_GRADCHECK([](const std::vector<Tensor>& in) {
    return mul(in[0].unsqueeze(0).expand({4, 3}), in[1].select(1, 1).unsqueeze(1));
  }, {uniform({3}), uniform({4, 2}, -1, 1, 2)});
}
