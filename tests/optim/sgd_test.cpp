// SGD tests: single steps computed by hand and from the formulas in plain doubles (momentum,
// dampening, Nesterov, weight decay), convergence on a quadratic, the fused loop against the
// op-based path bit for bit, skipping parameters without gradients, and bad arguments.
#include <cmath>

#include "optim/optim_test_util.h"

using namespace ember;
using namespace ember::test;
using namespace ember::optim;

namespace {

/// PyTorch's SGD in plain doubles over a sequence of gradients.
std::vector<double> ref_sgd(std::vector<double> p, const std::vector<std::vector<double>>& grads, const SGDOptions& o) {
  std::vector<double> buf(p.size());
  for (size_t t = 0; t < grads.size(); ++t) {
    for (size_t i = 0; i < p.size(); ++i) {
      double d = grads[t][i] + o.weight_decay * p[i];
      if (o.momentum != 0) {
        buf[i] = t == 0 ? d : o.momentum * buf[i] + (1 - o.dampening) * d;
        d = o.nesterov ? d + o.momentum * buf[i] : buf[i];
      }
      p[i] -= o.lr * d;
    }
  }
  return p;
}

void check_against_ref(const SGDOptions& o, DType dt, bool fused, double tol) {
  std::vector<double> p0 = {1.0, -2.0, 3.0, 0.5};
  std::vector<std::vector<double>> grads = {{0.5, 0.25, -1.0, 2.0}, {-0.3, 0.1, 0.7, 1.5}, {0.2, -0.8, 0.4, -1.0}};
  Tensor p = param(p0, dt);
  SGD opt({p}, o);
  opt.set_fused(fused);
  for (const auto& g : grads) {
    set_grad(p, g);
    opt.step();
  }
  std::vector<double> expect = ref_sgd(p0, grads, o);
  EXPECT_ALLCLOSE(p.to(kFloat64), from_vector(expect, {4}, kFloat64), tol, tol);
}

}  // namespace

TEST(SGD, PlainStepByHand) {
  Tensor p = param({1.0, -2.0});
  set_grad(p, {0.5, -4.0});
  SGD opt({p}, 0.1);
  opt.step();
  EXPECT_ALLCLOSE(p, T({0.95, -1.6}, {2}), 0, 1e-15);
  EXPECT_EQ(opt.steps(), 1);
}

TEST(SGD, MomentumStepsByHand) {
  // buf1 = g1 = 1; p1 = 1 - 0.1*1 = 0.9.  buf2 = 0.9*1 + 2 = 2.9; p2 = 0.9 - 0.29 = 0.61.
  Tensor p = param({1.0});
  SGD opt({p}, 0.1, 0.9);
  set_grad(p, {1.0});
  opt.step();
  EXPECT_NEAR(p.item(), 0.9, 1e-15);
  set_grad(p, {2.0});
  opt.step();
  EXPECT_NEAR(p.item(), 0.61, 1e-15);
}

TEST(SGD, OptionsMatchFormulas) {
  std::vector<SGDOptions> cases = {
      SGDOptions(0.1),
      SGDOptions(0.1).with_momentum(0.9),
      SGDOptions(0.05).with_momentum(0.8).with_dampening(0.3),
      SGDOptions(0.1).with_momentum(0.9).with_nesterov(),
      SGDOptions(0.1).with_weight_decay(0.01),
      SGDOptions(0.02).with_momentum(0.5).with_dampening(0.5).with_weight_decay(0.1),
      SGDOptions(0.1).with_momentum(0.7).with_weight_decay(0.05).with_nesterov(),
  };
  for (size_t c = 0; c < cases.size(); ++c) {
    SCOPED_TRACE(c);
    for (bool fused : {true, false}) {
      check_against_ref(cases[c], kFloat64, fused, 1e-14);
      check_against_ref(cases[c], kFloat32, fused, 1e-6);
    }
  }
}

TEST(SGD, ConvergesOnQuadratic) {
  // f(x) = sum(w * (x - target)^2) with per-coordinate curvature w.
  Tensor target = T({1.0, -2.0, 0.5}, {3}), w = T({1.0, 3.0, 0.5}, {3});
  for (bool nesterov : {false, true}) {
    Tensor x = zeros({3}, kFloat64).set_requires_grad();
    SGD opt({x}, 0.05, 0.9, 0.0, 0.0, nesterov);
    for (int i = 0; i < 300; ++i) {
      opt.zero_grad();
      sum(mul(w, square(sub(x, target)))).backward();
      opt.step();
    }
    EXPECT_ALLCLOSE(x, target, 0, 1e-6);
  }
}

TEST(SGD, FusedEqualsGenericBitForBit) {
  std::vector<SGDOptions> cases = {SGDOptions(0.1), SGDOptions(0.01).with_momentum(0.9).with_dampening(0.1).with_weight_decay(1e-3),
                                   SGDOptions(0.03).with_momentum(0.95).with_nesterov().with_weight_decay(1e-2)};
  for (DType dt : {kFloat32, kFloat64}) {
    for (size_t c = 0; c < cases.size(); ++c) {
      // The last case also runs threaded: two chunks (grain 32768) with a ragged end.
      const int64_t n = c + 1 == cases.size() ? 40001 : 1001;
      SCOPED_TRACE(std::string(dtype_name(dt)) + " case " + std::to_string(c));
      std::vector<double> init = wave(n, 0.3);
      Tensor a = from_vector(init, {n}, TensorOptions(dt)).set_requires_grad();
      Tensor b = from_vector(init, {n}, TensorOptions(dt)).set_requires_grad();
      SGD fa({a}, cases[c]), fb({b}, cases[c]);
      fb.set_fused(false);
      for (int s = 0; s < 3; ++s) {
        Tensor g = from_vector(wave(n, 1.0 + s), {n}, TensorOptions(dt));
        a.set_grad(g);
        b.set_grad(g.clone());
        fa.step();
        fb.step();
      }
      EXPECT_TRUE(bit_equal(a, b));
      if (cases[c].momentum != 0) {
        EXPECT_TRUE(bit_equal(fa.state_dict().at("state.0.momentum_buffer"), fb.state_dict().at("state.0.momentum_buffer")));
      }
    }
  }
}

TEST(SGD, NonContiguousAndHalfParametersUseTheGenericPath) {
  SGDOptions o = SGDOptions(0.1).with_momentum(0.9).with_weight_decay(0.01);
  // A transposed leaf: updated in place through its strides.
  Tensor base = uniform({3, 4}, -1, 1, 11);
  Tensor pt = base.t().set_requires_grad();
  Tensor pc = base.t().contiguous().set_requires_grad();
  ASSERT_FALSE(pt.is_contiguous());
  SGD a({pt}, o), b({pc}, o);
  for (int s = 0; s < 3; ++s) {
    Tensor g = uniform({4, 3}, -1, 1, 20 + s);
    pt.set_grad(g);
    pc.set_grad(g);
    a.step();
    b.step();
  }
  EXPECT_TRUE(bit_equal(pt.contiguous(), pc));
  EXPECT_TRUE(bit_equal(base, pt.t()));  // the view wrote through to its storage
  // bfloat16 parameters: same trajectory as float64 within bfloat16 precision.
  Tensor h = param({1.0, -0.5, 0.25}, kBFloat16), d = param({1.0, -0.5, 0.25});
  SGD ha({h}, o), da({d}, o);
  for (int s = 0; s < 3; ++s) {
    set_grad(h, {0.5, -0.25, 1.0});
    set_grad(d, {0.5, -0.25, 1.0});
    ha.step();
    da.step();
  }
  EXPECT_EQ(h.dtype(), kBFloat16);
  EXPECT_ALLCLOSE(h.to(kFloat64), d, 2e-2, 1e-2);
}

TEST(SGD, SkipsParametersWithoutGradAndZeroGrad) {
  Tensor a = param({1.0, 2.0}), b = param({3.0});
  SGD opt({a, b}, 0.5, 0.9);
  set_grad(a, {1.0, 1.0});
  opt.step();
  EXPECT_ALLCLOSE(a, T({0.5, 1.5}, {2}), 0, 1e-15);
  EXPECT_ALLCLOSE(b, T({3.0}, {1}), 0, 0);
  EXPECT_EQ(opt.state_dict().count("state.1.momentum_buffer"), 0u);  // no state for b
  opt.zero_grad();
  EXPECT_FALSE(a.grad().defined());
  opt.step();  // nothing has a gradient: nothing changes
  EXPECT_ALLCLOSE(a, T({0.5, 1.5}, {2}), 0, 0);
}

TEST(SGD, LrAndMomentumAccessors) {
  Tensor p = param({1.0});
  SGD opt({p}, 0.1, 0.9);
  EXPECT_DOUBLE_EQ(opt.lr(), 0.1);
  opt.set_lr(0.2);
  set_grad(p, {1.0});
  opt.step();
  EXPECT_NEAR(p.item(), 0.8, 1e-15);
  EXPECT_TRUE(opt.has_momentum());
  opt.set_momentum(0.5);
  EXPECT_DOUBLE_EQ(opt.momentum(), 0.5);
  SGD plain({param({1.0})}, 0.1);
  EXPECT_FALSE(plain.has_momentum());
  EXPECT_EMBER_ERROR(plain.set_momentum(0.9), "SGD", "momentum");
}

TEST(SGD, Errors) {
  Tensor p = param({1.0, 2.0});
  EXPECT_EMBER_ERROR(SGD({p}, 0.1, 0.0, 0.0, 0.0, true), "Nesterov", "momentum");
  EXPECT_EMBER_ERROR(SGD({p}, 0.1, 0.9, 0.1, 0.0, true), "Nesterov", "dampening 0.1");
  EXPECT_EMBER_ERROR(SGD({p}, -0.1), "SGD", "learning rate -0.1");
  EXPECT_EMBER_ERROR(SGD({p}, NAN), "SGD", "learning rate");
  EXPECT_EMBER_ERROR(SGD({p}, 0.1, -0.5), "momentum -0.5");
  EXPECT_EMBER_ERROR(SGD({p}, 0.1, 0.0, 0.0, -1e-4), "weight_decay");
  EXPECT_EMBER_ERROR(SGD({}, 0.1), "empty parameter list");
  EXPECT_EMBER_ERROR(SGD({p, p}, 0.1), "more than once");
  EXPECT_EMBER_ERROR(SGD({zeros({2})}, 0.1), "does not require grad");
  EXPECT_EMBER_ERROR(SGD({mul(p, 2.0)}, 0.1), "non-leaf");
  EXPECT_EMBER_ERROR(SGD({p}, SGDOptions(0.1), {"a", "b"}), "2 names for 1 parameters");
  Tensor q = param({1.0});
  EXPECT_EMBER_ERROR(SGD({p, q}, SGDOptions(0.1), {"w", "w"}), "distinct");
  SGD opt({p}, 0.1);
  EXPECT_EMBER_ERROR(opt.set_lr(-1.0), "set_lr", "-1");
  p.set_grad(zeros({3}, kFloat64));
  EXPECT_EMBER_ERROR(opt.step(), "SGD.step", "[3]", "[2]");
}
