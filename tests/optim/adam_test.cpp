// Adam/AdamW tests: the bias-corrected first step by hand, multi-step trajectories against the
// formulas in plain doubles (L2 vs decoupled weight decay), convergence on a quadratic, the fused
// loop against the op-based path bit for bit, beta1 as the schedulable momentum, bad arguments.
#include <cmath>

#include "optim/optim_test_util.h"

using namespace ember;
using namespace ember::test;
using namespace ember::optim;

namespace {

/// Adam/AdamW in plain doubles (the textbook form with m_hat and v_hat).
std::vector<double> ref_adam(std::vector<double> p, const std::vector<std::vector<double>>& grads, double lr, double b1,
                             double b2, double eps, double wd, bool decoupled) {
  std::vector<double> m(p.size()), v(p.size());
  for (size_t t = 1; t <= grads.size(); ++t) {
    for (size_t i = 0; i < p.size(); ++i) {
      double g = grads[t - 1][i];
      if (decoupled) p[i] *= 1 - lr * wd;
      else g += wd * p[i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      double mhat = m[i] / (1 - std::pow(b1, t)), vhat = v[i] / (1 - std::pow(b2, t));
      p[i] -= lr * mhat / (std::sqrt(vhat) + eps);
    }
  }
  return p;
}

const std::vector<double> kP0 = {1.0, -2.0, 3.0, 0.5};
const std::vector<std::vector<double>> kGrads = {
    {0.5, 0.25, -1.0, 2.0}, {-0.3, 0.1, 0.7, 1.5}, {0.2, -0.8, 0.4, -1.0}, {1.0, 0.3, -0.2, 0.05}, {0.4, 0.4, 0.4, -0.4}};

Tensor run(Optimizer& opt, const Tensor& p) {
  for (const auto& g : kGrads) {
    set_grad(p, g);
    opt.step();
  }
  return p;
}

}  // namespace

TEST(Adam, FirstStepIsBiasCorrected) {
  // Step 1: m_hat = g and v_hat = g^2, so every coordinate moves by lr * g / (|g| + eps).
  Tensor p = param({1.0, -2.0, 3.0});
  set_grad(p, {0.5, -4.0, 1e-3});
  Adam opt({p}, 0.01);
  opt.step();
  EXPECT_ALLCLOSE(p, T({1.0 - 0.01 * 0.5 / (0.5 + 1e-8), -2.0 + 0.01 * 4.0 / (4.0 + 1e-8), 3.0 - 0.01 * 1e-3 / (1e-3 + 1e-8)}, {3}),
                  0, 1e-15);
  StateDict sd = opt.state_dict();
  EXPECT_EQ(sd.at("state.0.step").item<int64_t>(), 1);
  EXPECT_ALLCLOSE(sd.at("state.0.exp_avg"), T({0.05, -0.4, 1e-4}, {3}), 1e-15, 0);
  EXPECT_ALLCLOSE(sd.at("state.0.exp_avg_sq"), T({0.00025, 0.016, 1e-9}, {3}), 1e-12, 0);
}

TEST(Adam, TrajectoryMatchesFormulas) {
  for (bool fused : {true, false}) {
    for (double wd : {0.0, 0.1}) {
      SCOPED_TRACE(std::to_string(fused) + " wd " + std::to_string(wd));
      Tensor p = param(kP0);
      Adam opt({p}, AdamOptions(0.05).with_betas(0.8, 0.99).with_eps(1e-6).with_weight_decay(wd));
      opt.set_fused(fused);
      run(opt, p);
      EXPECT_ALLCLOSE(p, from_vector(ref_adam(kP0, kGrads, 0.05, 0.8, 0.99, 1e-6, wd, false), {4}, kFloat64), 1e-13, 1e-13);
      Tensor pf = param(kP0, kFloat32);
      Adam optf({pf}, 0.05, {0.8, 0.99}, 1e-6, wd);
      optf.set_fused(fused);
      run(optf, pf);
      EXPECT_ALLCLOSE(pf.to(kFloat64), from_vector(ref_adam(kP0, kGrads, 0.05, 0.8, 0.99, 1e-6, wd, false), {4}, kFloat64),
                      1e-5, 1e-6);
    }
  }
}

TEST(AdamW, DecoupledWeightDecay) {
  // First step by hand: p * (1 - lr*wd) - lr * g / (|g| + eps).
  Tensor p = param({2.0, -1.0});
  set_grad(p, {0.5, 0.5});
  AdamW opt({p}, 0.1, {0.9, 0.999}, 1e-8, 0.5);
  opt.step();
  EXPECT_ALLCLOSE(p, T({2.0 * 0.95 - 0.1 * 0.5 / (0.5 + 1e-8), -1.0 * 0.95 - 0.1 * 0.5 / (0.5 + 1e-8)}, {2}), 0, 1e-15);
  for (bool fused : {true, false}) {
    Tensor q = param(kP0);
    AdamW w({q}, AdamWOptions(0.05).with_betas(0.85, 0.995));
    EXPECT_DOUBLE_EQ(w.weight_decay(), 1e-2);  // AdamW's default
    w.set_fused(fused);
    run(w, q);
    EXPECT_ALLCLOSE(q, from_vector(ref_adam(kP0, kGrads, 0.05, 0.85, 0.995, 1e-8, 1e-2, true), {4}, kFloat64), 1e-13, 1e-13);
  }
  // Decoupled and L2 decay differ.
  Tensor a = param(kP0), b = param(kP0);
  Adam l2({a}, AdamOptions(0.05).with_weight_decay(0.1));
  AdamW dec({b}, AdamWOptions(0.05).with_weight_decay(0.1));
  run(l2, a);
  run(dec, b);
  EXPECT_GT(max(abs(sub(a, b))).item(), 1e-4);
}

TEST(Adam, ConvergesOnQuadratic) {
  Tensor target = T({1.0, -2.0, 0.5}, {3}), w = T({1.0, 30.0, 0.1}, {3});
  Tensor x = zeros({3}, kFloat64).set_requires_grad();
  Adam opt({x}, 0.05);
  for (int i = 0; i < 1500; ++i) {
    opt.zero_grad();
    sum(mul(w, square(sub(x, target)))).backward();
    opt.step();
  }
  EXPECT_ALLCLOSE(x, target, 0, 1e-3);
}

TEST(Adam, FusedEqualsGenericBitForBit) {
  struct Case {
    bool adamw;
    double lr, b1, b2, eps, wd;
  };
  // beta1 = 0.3 exercises the other branch of PyTorch's lerp (weight >= 0.5).
  std::vector<Case> cases = {{false, 1e-3, 0.9, 0.999, 1e-8, 0.0}, {false, 1e-2, 0.3, 0.99, 1e-6, 1e-2},
                             {true, 3e-3, 0.9, 0.98, 1e-8, 0.1}};
  for (DType dt : {kFloat32, kFloat64}) {
    for (size_t c = 0; c < cases.size(); ++c) {
      // The last case also runs threaded: two chunks (grain 32768) with a ragged end.
      const int64_t n = c + 1 == cases.size() ? 40001 : 1001;
      SCOPED_TRACE(std::string(dtype_name(dt)) + " case " + std::to_string(c));
      const Case& k = cases[c];
      std::vector<double> init = wave(n, 0.7);
      Tensor a = from_vector(init, {n}, TensorOptions(dt)).set_requires_grad();
      Tensor b = from_vector(init, {n}, TensorOptions(dt)).set_requires_grad();
      std::unique_ptr<Adam> fa, fb;
      if (k.adamw) {
        fa = std::make_unique<AdamW>(std::vector<Tensor>{a}, k.lr, std::make_pair(k.b1, k.b2), k.eps, k.wd);
        fb = std::make_unique<AdamW>(std::vector<Tensor>{b}, k.lr, std::make_pair(k.b1, k.b2), k.eps, k.wd);
      } else {
        fa = std::make_unique<Adam>(std::vector<Tensor>{a}, k.lr, std::make_pair(k.b1, k.b2), k.eps, k.wd);
        fb = std::make_unique<Adam>(std::vector<Tensor>{b}, k.lr, std::make_pair(k.b1, k.b2), k.eps, k.wd);
      }
      fb->set_fused(false);
      for (int s = 0; s < 3; ++s) {
        Tensor g = from_vector(wave(n, 2.0 + s), {n}, TensorOptions(dt));
        a.set_grad(g);
        b.set_grad(g.clone());
        fa->step();
        fb->step();
      }
      EXPECT_TRUE(bit_equal(a, b));
      StateDict sa = fa->state_dict(), sb = fb->state_dict();
      EXPECT_TRUE(bit_equal(sa.at("state.0.exp_avg"), sb.at("state.0.exp_avg")));
      EXPECT_TRUE(bit_equal(sa.at("state.0.exp_avg_sq"), sb.at("state.0.exp_avg_sq")));
    }
  }
}

TEST(Adam, NonContiguousGradientTakesTheFusedPath) {
  Tensor a = param(wave(12, 0.1)), b = param(wave(12, 0.1));
  Adam fa({a}, 0.01), fb({b}, 0.01);
  fb.set_fused(false);
  Tensor wide = from_vector(wave(24, 0.9), {24}, kFloat64);
  Tensor g = wide.slice(0, 0, 24, 2);  // stride 2
  ASSERT_FALSE(g.is_contiguous());
  a.set_grad(g);
  b.set_grad(g.contiguous());
  fa.step();
  fb.step();
  EXPECT_TRUE(bit_equal(a, b));
}

TEST(Adam, Beta1IsTheMomentum) {
  Tensor p = param({1.0});
  Adam opt({p});
  EXPECT_TRUE(opt.has_momentum());
  EXPECT_DOUBLE_EQ(opt.momentum(), 0.9);
  opt.set_momentum(0.85);
  EXPECT_DOUBLE_EQ(opt.beta1(), 0.85);
  EXPECT_EMBER_ERROR(opt.set_momentum(1.0), "beta1");
}

TEST(Adam, Errors) {
  Tensor p = param({1.0});
  EXPECT_EMBER_ERROR(Adam({p}, -1e-3), "Adam", "learning rate");
  EXPECT_EMBER_ERROR(Adam({p}, 1e-3, {1.0, 0.999}), "beta1 1");
  EXPECT_EMBER_ERROR(Adam({p}, 1e-3, {-0.1, 0.999}), "beta1 -0.1");
  EXPECT_EMBER_ERROR(Adam({p}, 1e-3, {0.9, 1.5}), "beta2 1.5");
  EXPECT_EMBER_ERROR(Adam({p}, 1e-3, {0.9, 0.999}, -1e-8), "epsilon");
  EXPECT_EMBER_ERROR(Adam({p}, 1e-3, {0.9, 0.999}, 1e-8, -0.1), "weight_decay");
  EXPECT_EMBER_ERROR(AdamW({p}, AdamWOptions().with_betas(0.9, NAN)), "AdamW", "beta2");
  EXPECT_EMBER_ERROR(AdamW({}, 1e-3), "AdamW", "empty");
}
