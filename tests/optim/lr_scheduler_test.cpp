// Learning-rate schedule tests: values at chosen steps against PyTorch's closed forms (StepLR,
// CosineAnnealingLR, LinearWarmup, SequentialLR, OneCycleLR with momentum cycling, three phases
// and linear annealing), the past-the-end error, state dict round trips, and bad arguments.
#include <cmath>
#include <numbers>

#include "optim/optim_test_util.h"

using namespace ember;
using namespace ember::test;
using namespace ember::optim;

namespace {
constexpr double kPi = std::numbers::pi;

/// The lr the schedule gives after each of n steps, starting with the one set at construction.
std::vector<double> run(LRScheduler& s, int n) {
  std::vector<double> lrs = {s.lr()};
  for (int i = 0; i < n; ++i) {
    s.step();
    EXPECT_DOUBLE_EQ(s.optimizer().lr(), s.lr());
    lrs.push_back(s.lr());
  }
  return lrs;
}
}  // namespace

TEST(LRScheduler, StepLR) {
  SGD opt({param({1.0})}, 0.1);
  StepLR s(opt, 3, 0.5);
  std::vector<double> lrs = run(s, 7);
  std::vector<double> expect = {0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025};
  for (size_t i = 0; i < expect.size(); ++i) EXPECT_NEAR(lrs[i], expect[i], 1e-17) << i;
  EXPECT_EQ(s.last_epoch(), 7);
}

TEST(LRScheduler, CosineAnnealing) {
  Adam opt({param({1.0})}, 0.1);
  CosineAnnealingLR s(opt, 10, 0.01);
  std::vector<double> lrs = run(s, 10);
  EXPECT_DOUBLE_EQ(lrs[0], 0.1);
  EXPECT_NEAR(lrs[5], (0.1 + 0.01) / 2, 1e-16);  // halfway: the mean of base and eta_min
  EXPECT_NEAR(lrs[10], 0.01, 1e-16);
  EXPECT_NEAR(lrs[2], 0.01 + 0.09 * (1 + std::cos(kPi * 2 / 10)) / 2, 1e-16);
  for (int i = 1; i <= 10; ++i) EXPECT_LT(lrs[i], lrs[i - 1]);
}

TEST(LRScheduler, LinearWarmup) {
  SGD opt({param({1.0})}, 0.2);
  LinearWarmup s(opt, 4, 0.25);
  std::vector<double> lrs = run(s, 6);
  std::vector<double> expect = {0.05, 0.0875, 0.125, 0.1625, 0.2, 0.2, 0.2};
  for (size_t i = 0; i < expect.size(); ++i) EXPECT_NEAR(lrs[i], expect[i], 1e-16) << i;
}

TEST(LRScheduler, SequentialWarmupThenCosine) {
  SGD opt({param({1.0})}, 0.1);
  auto warm = std::make_shared<LinearWarmup>(opt, 5, 0.0);
  auto cos = std::make_shared<CosineAnnealingLR>(opt, 10, 0.0);
  EXPECT_DOUBLE_EQ(cos->base_lr(), 0.1);  // the warm-up's lr at construction is not the base
  SequentialLR s(opt, {warm, cos}, {5});
  EXPECT_DOUBLE_EQ(opt.lr(), 0.0);
  std::vector<double> lrs = run(s, 15);
  EXPECT_NEAR(lrs[2], 0.04, 1e-16);
  EXPECT_NEAR(lrs[5], 0.1, 1e-16);          // the cosine starts at the milestone at its base
  EXPECT_NEAR(lrs[10], 0.05, 1e-16);        // ... and is halfway five steps later
  EXPECT_NEAR(lrs[15], 0.0, 1e-16);
}

TEST(LRScheduler, OneCycleTwoPhaseCos) {
  Adam opt({param({1.0})});
  OneCycleLR s(opt, 1.0, 100);
  const double init = 1.0 / 25, min_lr = init / 1e4;
  EXPECT_NEAR(s.lr(), init, 1e-16);  // max_lr / div_factor
  EXPECT_EQ(opt.lr(), s.lr());
  EXPECT_DOUBLE_EQ(opt.momentum(), 0.95);
  std::vector<double> lrs = {s.lr()}, moms = {opt.momentum()};
  for (int i = 0; i < 100; ++i) {
    s.step();
    lrs.push_back(s.lr());
    moms.push_back(opt.beta1());
  }
  // Peak at pct_start * total - 1 = 29, final at total - 1.
  EXPECT_NEAR(lrs[29], 1.0, 1e-15);
  EXPECT_NEAR(moms[29], 0.85, 1e-15);
  EXPECT_NEAR(lrs[99], min_lr, 1e-15);
  EXPECT_NEAR(moms[99], 0.95, 1e-15);
  double pct = 14.0 / 29.0;
  EXPECT_NEAR(lrs[14], 1.0 + (init - 1.0) / 2 * (std::cos(kPi * pct) + 1), 1e-15);
  EXPECT_NEAR(moms[14], 0.85 + (0.95 - 0.85) / 2 * (std::cos(kPi * pct) + 1), 1e-15);
  pct = (60.0 - 29.0) / (99.0 - 29.0);
  EXPECT_NEAR(lrs[60], min_lr + (1.0 - min_lr) / 2 * (std::cos(kPi * pct) + 1), 1e-15);
  for (int i = 1; i <= 29; ++i) EXPECT_GT(lrs[i], lrs[i - 1]);
  for (int i = 30; i <= 99; ++i) EXPECT_LT(lrs[i], lrs[i - 1]);
  // Step 100 was allowed (as PyTorch); one more is an error and changes nothing.
  EXPECT_EMBER_ERROR(s.step(), "OneCycleLR", "101", "100");
  EXPECT_EQ(s.last_epoch(), 100);
}

TEST(LRScheduler, OneCycleThreePhaseLinearWithSGDMomentum) {
  SGD opt({param({1.0})}, 0.1, 0.9);
  OneCycleLR s(opt, 0.5, 100, OneCycleOptions().with_three_phase().with_anneal(AnnealStrategy::Linear).with_div_factor(10));
  const double init = 0.05, min_lr = init / 1e4;
  std::vector<double> lrs = {s.lr()}, moms = {opt.momentum()};
  for (int i = 0; i < 99; ++i) {
    s.step();
    lrs.push_back(s.lr());
    moms.push_back(opt.momentum());
  }
  EXPECT_NEAR(lrs[0], init, 1e-16);
  EXPECT_NEAR(lrs[10], (0.5 - init) * 10 / 29 + init, 1e-15);
  EXPECT_NEAR(lrs[29], 0.5, 1e-15);
  EXPECT_NEAR(lrs[58], init, 1e-15);  // end of the second phase: back to the initial lr
  EXPECT_NEAR(moms[29], 0.85, 1e-15);
  EXPECT_NEAR(moms[58], 0.95, 1e-15);
  EXPECT_NEAR(moms[80], 0.95, 1e-15);  // the third phase holds max_momentum
  EXPECT_NEAR(lrs[99], min_lr, 1e-15);
  EXPECT_NEAR(lrs[80], (min_lr - init) * (80.0 - 58.0) / (99.0 - 58.0) + init, 1e-15);
}

TEST(LRScheduler, OneCycleWithoutMomentumCycling) {
  SGD plain({param({1.0})}, 0.1);
  EXPECT_EMBER_ERROR(OneCycleLR(plain, 1.0, 10), "OneCycleLR", "cycle_momentum", "with_cycle_momentum(false)");
  OneCycleLR s(plain, 1.0, 10, OneCycleOptions().with_cycle_momentum(false));
  s.step();
  EXPECT_GT(plain.lr(), 0.04);
  EXPECT_FALSE(plain.has_momentum());
}

TEST(LRScheduler, StateRoundTrip) {
  Adam oa({param({1.0})}, 0.1);
  auto wa = std::make_shared<LinearWarmup>(oa, 3, 0.1);
  auto ca = std::make_shared<OneCycleLR>(oa, 0.3, 20);
  SequentialLR a(oa, {wa, ca}, {3});
  for (int i = 0; i < 7; ++i) a.step();
  // B is built with different settings; the loads make it identical.
  Adam ob({param({1.0})}, 0.5);
  auto wb = std::make_shared<LinearWarmup>(ob, 8, 0.5);
  auto cb = std::make_shared<OneCycleLR>(ob, 1.0, 50, OneCycleOptions().with_three_phase());
  SequentialLR b(ob, {wb, cb}, {3});
  ob.load_state_dict(oa.state_dict());
  b.load_state_dict(a.state_dict());
  EXPECT_EQ(b.last_epoch(), 7);
  EXPECT_EQ(cb->total_steps(), 20);
  EXPECT_FALSE(cb->options().three_phase);
  for (int i = 0; i < 16; ++i) {
    a.step();
    b.step();
    EXPECT_EQ(oa.lr(), ob.lr()) << i;
    EXPECT_EQ(oa.momentum(), ob.momentum()) << i;
  }
  EXPECT_EMBER_ERROR(a.step(), "OneCycleLR", "tried to step 21 times");

  SGD os({param({1.0})}, 0.1);
  StepLR sa(os, 2, 0.5);
  sa.step();
  sa.step();
  StateDict sd = sa.state_dict();
  EXPECT_EQ(sd.at("last_epoch").item<int64_t>(), 2);
  EXPECT_EQ(sd.at("step_size").dtype(), kInt64);
  EXPECT_EQ(sd.at("gamma").dtype(), kFloat64);
  StepLR sb(os, 5, 0.9);
  sb.load_state_dict(sd);
  sa.step();
  sb.step();
  EXPECT_EQ(sa.lr(), sb.lr());
  CosineAnnealingLR cos(os, 10);
  EXPECT_EMBER_ERROR(cos.load_state_dict(sd), "CosineAnnealingLR.load_state_dict", "missing key 'T_max'");
  StateDict more = sd;
  more["T_max"] = sd.at("step_size");
  EXPECT_EMBER_ERROR(sb.load_state_dict(more), "unexpected key 'T_max'");
  StateDict bad = sd;
  bad["step_size"] = sd.at("last_epoch").to(kFloat64) * 0.0;
  EXPECT_EMBER_ERROR(sb.load_state_dict(bad), "step_size must be > 0");
  EXPECT_EQ(sb.last_epoch(), 3);  // unchanged by the failed loads
}

TEST(LRScheduler, Errors) {
  SGD opt({param({1.0})}, 0.1, 0.9);
  EXPECT_EMBER_ERROR(StepLR(opt, 0), "StepLR", "step_size");
  EXPECT_EMBER_ERROR(StepLR(opt, 2, -0.5), "StepLR", "gamma -0.5");
  EXPECT_EMBER_ERROR(CosineAnnealingLR(opt, 0), "T_max");
  EXPECT_EMBER_ERROR(LinearWarmup(opt, 0, 0.1), "warmup_steps");
  EXPECT_EMBER_ERROR(LinearWarmup(opt, 5, 1.5), "start_factor 1.5");
  EXPECT_EMBER_ERROR(OneCycleLR(opt, 1.0, 0), "total_steps");
  EXPECT_EMBER_ERROR(OneCycleLR(opt, 1.0, 100, OneCycleOptions().with_pct_start(1.2)), "pct_start 1.2");
  EXPECT_EMBER_ERROR(OneCycleLR(opt, 1.0, 10, OneCycleOptions().with_pct_start(0.1)), "zero steps long");
  EXPECT_EMBER_ERROR(OneCycleLR(opt, -1.0, 10), "max_lr");
  EXPECT_EMBER_ERROR(OneCycleLR(opt, 1.0, 10, OneCycleOptions().with_div_factor(0)), "div_factor");
  auto a = std::make_shared<StepLR>(opt, 2);
  auto b = std::make_shared<StepLR>(opt, 3);
  EXPECT_EMBER_ERROR(SequentialLR(opt, {a, b}, {}), "2 schedules need 1 milestones");
  EXPECT_EMBER_ERROR(SequentialLR(opt, {a, b, a}, {4, 4}), "strictly increasing");
  EXPECT_EMBER_ERROR(SequentialLR(opt, {a, nullptr}, {3}), "schedule 1 is null");
  SGD other({param({1.0})}, 0.1);
  auto c = std::make_shared<StepLR>(other, 2);
  EXPECT_EMBER_ERROR(SequentialLR(opt, {a, c}, {3}), "different optimizer");
}
