// GradScaler tests: scaling the loss, unscaling gradients, skipping a step whose gradients
// overflowed (scale halves, skipped_steps counts), growth after growth_interval clean steps,
// the disabled scaler, state round trips, and bad options/state.
#include <cmath>
#include <limits>

#include "harness/op_harness.h"

using namespace ember;
using namespace ember::test;

namespace {

Tensor param(std::vector<double> v) { return from_vector(v, {static_cast<int64_t>(v.size())}).set_requires_grad(); }

/// Sets p's gradient to scale * g (what backward of a scaled loss produces).
void set_scaled_grad(Tensor& p, std::vector<double> g, double scale) {
  for (double& x : g) x *= scale;
  p.set_grad(from_vector(g, p.shape()));
}

}  // namespace

TEST(GradScaler, ScalesTheLossInFloat32) {
  amp::GradScaler s;
  EXPECT_DOUBLE_EQ(s.scale(), 65536.0);
  Tensor loss = scalar_tensor(0.5, TensorOptions(kFloat16));
  Tensor scaled = s.scale(loss);
  EXPECT_EQ(scaled.dtype(), kFloat32);  // 0.5 * 65536 would overflow float16
  EXPECT_DOUBLE_EQ(scaled.item(), 32768.0);
  // Backward of the scaled loss gives scaled gradients.
  Tensor w = param({2.0});
  s.scale(sum(mul(w, 3.0))).backward();
  EXPECT_DOUBLE_EQ(w.grad().item(), 3.0 * 65536.0);
  EXPECT_EMBER_ERROR(s.scale(Tensor()), "GradScaler::scale", "undefined");
  EXPECT_EMBER_ERROR(s.scale(arange(3)), "GradScaler::scale", "int64");
}

TEST(GradScaler, CleanStepUnscalesAndSteps) {
  Tensor p = param({1.0, -1.0});
  optim::SGD opt({p}, optim::SGDOptions(0.1));
  amp::GradScaler s(1024.0);
  set_scaled_grad(p, {0.5, -2.0}, 1024.0);
  EXPECT_TRUE(s.step(opt));
  EXPECT_FALSE(s.found_inf());
  EXPECT_ALLCLOSE(p.detach(), T({1.0 - 0.05, -1.0 + 0.2}, {2}, kFloat32));
  EXPECT_ALLCLOSE(p.grad(), T({0.5, -2.0}, {2}, kFloat32));  // unscaled in place of the scaled one
  EXPECT_EQ(p.grad().dtype(), kFloat32);
  EXPECT_EQ(s.skipped_steps(), 0);
  EXPECT_EQ(s.growth_tracker(), 1);
  EXPECT_DOUBLE_EQ(s.scale(), 1024.0);
}

TEST(GradScaler, OverflowSkipsTheStepAndHalvesTheScale) {
  for (double bad : {std::numeric_limits<double>::infinity(), std::nan("")}) {
    Tensor p = param({1.0, 2.0}), q = param({3.0});
    optim::SGD opt({p, q}, optim::SGDOptions(0.1));
    amp::GradScaler s(65536.0);
    set_scaled_grad(p, {0.25, 0.5}, 65536.0);
    q.set_grad(from_vector(std::vector<double>{bad}, {1}));  // one bad gradient anywhere
    EXPECT_FALSE(s.step(opt));
    EXPECT_TRUE(s.found_inf());
    EXPECT_EQ(s.skipped_steps(), 1);
    EXPECT_DOUBLE_EQ(s.scale(), 32768.0);
    EXPECT_EQ(opt.steps(), 0);
    EXPECT_ALLCLOSE(p.detach(), T({1.0, 2.0}, {2}, kFloat32));  // untouched
    EXPECT_ALLCLOSE(q.detach(), T({3.0}, {1}, kFloat32));
    // The next clean step goes through at the reduced scale.
    set_scaled_grad(p, {1.0, 1.0}, 32768.0);
    set_scaled_grad(q, {1.0}, 32768.0);
    EXPECT_TRUE(s.step(opt));
    EXPECT_ALLCLOSE(p.detach(), T({0.9, 1.9}, {2}, kFloat32));
    EXPECT_EQ(s.skipped_steps(), 1);
  }
}

TEST(GradScaler, OverflowFromAFloat16Backward) {
  // A float16 graph whose scaled gradient exceeds float16's range (65504) overflows to inf.
  Tensor w = param({1.0});
  optim::SGD opt({w}, optim::SGDOptions(0.1));
  amp::GradScaler s(65536.0);
  Tensor loss = sum(mul(w.to(kFloat16), 4.0));
  s.scale(loss).backward();
  EXPECT_FALSE(s.step(opt));
  EXPECT_EQ(s.skipped_steps(), 1);
  EXPECT_DOUBLE_EQ(s.scale(), 32768.0);
  EXPECT_DOUBLE_EQ(w.detach().item(), 1.0);
}

TEST(GradScaler, GrowsAfterGrowthIntervalCleanSteps) {
  Tensor p = param({0.0});
  optim::SGD opt({p}, optim::SGDOptions(0.01));
  amp::GradScaler s(8.0, 2.0, 0.5, 3);
  auto clean = [&] {
    set_scaled_grad(p, {1.0}, s.scale());
    return s.step(opt);
  };
  EXPECT_TRUE(clean());
  EXPECT_TRUE(clean());
  EXPECT_DOUBLE_EQ(s.scale(), 8.0);
  EXPECT_TRUE(clean());
  EXPECT_DOUBLE_EQ(s.scale(), 16.0);  // after 3 clean steps
  EXPECT_EQ(s.growth_tracker(), 0);
  EXPECT_TRUE(clean());
  p.set_grad(from_vector(std::vector<double>{std::numeric_limits<double>::infinity()}, {1}));
  EXPECT_FALSE(s.step(opt));  // an overflow resets the count
  EXPECT_DOUBLE_EQ(s.scale(), 8.0);
  EXPECT_EQ(s.growth_tracker(), 0);
  EXPECT_TRUE(clean());
  EXPECT_TRUE(clean());
  EXPECT_DOUBLE_EQ(s.scale(), 8.0);
  EXPECT_TRUE(clean());
  EXPECT_DOUBLE_EQ(s.scale(), 16.0);
  EXPECT_EQ(opt.steps(), 7);
}

TEST(GradScaler, UnscaleBeforeClippingOnlyOnce) {
  Tensor p = param({1.0});
  optim::SGD opt({p}, optim::SGDOptions(1.0));
  amp::GradScaler s(4.0);
  set_scaled_grad(p, {10.0}, 4.0);
  s.unscale_(opt);
  EXPECT_DOUBLE_EQ(p.grad().item(), 10.0);
  EXPECT_EMBER_ERROR(s.unscale_(opt), "unscale_", "once per step");
  EXPECT_TRUE(s.step(opt));  // does not divide again
  EXPECT_DOUBLE_EQ(p.detach().item(), -9.0);
  set_scaled_grad(p, {1.0}, 4.0);
  s.unscale_(opt);  // allowed again after the step
  EXPECT_DOUBLE_EQ(p.grad().item(), 1.0);
}

TEST(GradScaler, DisabledIsTransparent) {
  amp::GradScalerOptions o;
  o.enabled = false;
  amp::GradScaler s(o);
  Tensor p = param({1.0});
  optim::SGD opt({p}, optim::SGDOptions(0.5));
  Tensor loss = sum(mul(p, 2.0));
  EXPECT_TRUE(s.scale(loss).is_same(loss));
  EXPECT_DOUBLE_EQ(s.scale(), 1.0);
  loss.backward();
  EXPECT_TRUE(s.step(opt));
  EXPECT_DOUBLE_EQ(p.detach().item(), 0.0);
}

TEST(GradScaler, StateRoundTrip) {
  Tensor p = param({0.0});
  optim::SGD opt({p}, optim::SGDOptions(0.01));
  amp::GradScaler a(1024.0, 3.0, 0.25, 5);
  p.set_grad(from_vector(std::vector<double>{std::nan("")}, {1}));
  a.step(opt);
  set_scaled_grad(p, {1.0}, a.scale());
  a.step(opt);
  set_scaled_grad(p, {1.0}, a.scale());
  a.step(opt);
  optim::StateDict sd = a.state_dict();
  EXPECT_EQ(sd.at("scale").dtype(), kFloat64);
  EXPECT_EQ(sd.at("growth_tracker").dtype(), kInt64);

  amp::GradScaler b;
  b.load_state_dict(sd);
  EXPECT_DOUBLE_EQ(b.scale(), 256.0);
  EXPECT_EQ(b.skipped_steps(), 1);
  EXPECT_EQ(b.growth_tracker(), 2);
  EXPECT_DOUBLE_EQ(b.options().growth_factor, 3.0);
  EXPECT_DOUBLE_EQ(b.options().backoff_factor, 0.25);
  EXPECT_EQ(b.options().growth_interval, 5);
  // Both continue identically: three more clean steps grow both at the same point.
  for (int i = 0; i < 3; ++i)
    for (amp::GradScaler* s : {&a, &b}) {
      set_scaled_grad(p, {1.0}, s->scale());
      s->step(opt);
    }
  EXPECT_DOUBLE_EQ(a.scale(), 768.0);
  EXPECT_DOUBLE_EQ(b.scale(), a.scale());
  // Through a checkpoint file's tensor section.
  EXPECT_EQ(b.state_dict().size(), sd.size());
}

TEST(GradScaler, BadOptionsAndState) {
  EXPECT_EMBER_ERROR(amp::GradScaler(0.0), "GradScaler", "scale");
  EXPECT_EMBER_ERROR(amp::GradScaler(std::numeric_limits<double>::infinity()), "GradScaler", "scale");
  EXPECT_EMBER_ERROR(amp::GradScaler(8.0, 1.0), "GradScaler", "growth_factor");
  EXPECT_EMBER_ERROR(amp::GradScaler(8.0, 2.0, 1.0), "GradScaler", "backoff_factor");
  EXPECT_EMBER_ERROR(amp::GradScaler(8.0, 2.0, 0.5, 0), "GradScaler", "growth_interval");

  amp::GradScaler s(16.0);
  optim::StateDict good = amp::GradScaler(4.0).state_dict();
  auto without = [&](const std::string& k) {
    optim::StateDict d = good;
    d.erase(k);
    return d;
  };
  auto with = [&](const std::string& k, Tensor v) {
    optim::StateDict d = good;
    d[k] = v;
    return d;
  };
  EXPECT_EMBER_ERROR(s.load_state_dict(without("scale")), "load_state_dict", "missing", "scale");
  EXPECT_EMBER_ERROR(s.load_state_dict(with("extra", scalar_tensor(1))), "load_state_dict", "unexpected", "extra");
  EXPECT_EMBER_ERROR(s.load_state_dict(with("scale", scalar_tensor(-1))), "load_state_dict", "scale");
  EXPECT_EMBER_ERROR(s.load_state_dict(with("scale", zeros({2}))), "load_state_dict", "one-element", "scale");
  EXPECT_EMBER_ERROR(s.load_state_dict(with("growth_tracker", scalar_tensor(2000))), "load_state_dict", "growth_tracker");
  EXPECT_EMBER_ERROR(s.load_state_dict(with("enabled", scalar_tensor(2))), "load_state_dict", "enabled");
  EXPECT_DOUBLE_EQ(s.scale(), 16.0);  // unchanged after every failure
}
