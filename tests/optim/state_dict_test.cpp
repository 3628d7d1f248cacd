// Optimizer state_dict/load_state_dict: the keys and their dtypes, bit-identical continuation
// after a save/load into a fresh optimizer on copied parameters (SGD, Adam, AdamW, named and
// indexed parameters), and validation of bad state (missing, unexpected, misshapen, mismatched).
#include "optim/optim_test_util.h"

using namespace ember;
using namespace ember::test;
using namespace ember::optim;

namespace {

std::vector<Tensor> make_params(uint64_t seed) {
  return {uniform({3, 4}, -1, 1, seed).to(kFloat32).set_requires_grad(), uniform({4}, -1, 1, seed + 1).set_requires_grad(),
          uniform({2}, -1, 1, seed + 2).to(kFloat32).set_requires_grad()};
}
std::vector<Tensor> copy_params(const std::vector<Tensor>& ps) {
  std::vector<Tensor> out;
  for (const Tensor& p : ps) out.push_back(p.detach().clone().set_requires_grad());
  return out;
}
/// Gradients for step s (the last parameter only gets one on even steps).
void fill_grads(const std::vector<Tensor>& ps, int s) {
  for (size_t i = 0; i < ps.size(); ++i) {
    Tensor p = ps[i];
    if (i == 2 && s % 2) {
      p.zero_grad();
      continue;
    }
    p.set_grad(uniform(p.shape(), -1, 1, 100 + 10 * static_cast<uint64_t>(s) + i).to(p.dtype()));
  }
}

/// A steps k times, its state goes into fresh B on copied parameters, both continue.
template <class Make>
void round_trip(Make make, int k = 3, int more = 4) {
  std::vector<Tensor> pa = make_params(1);
  auto a = make(pa);
  for (int s = 0; s < k; ++s) {
    fill_grads(pa, s);
    a->step();
  }
  StateDict sd = a->state_dict();
  std::vector<Tensor> pb = copy_params(pa);
  auto b = make(pb);
  b->set_lr(123.0);  // overwritten by the load
  b->load_state_dict(sd);
  EXPECT_DOUBLE_EQ(b->lr(), a->lr());
  EXPECT_EQ(b->steps(), a->steps());
  for (int s = k; s < k + more; ++s) {
    fill_grads(pa, s);
    fill_grads(pb, s);
    a->step();
    b->step();
  }
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(bit_equal(pa[i], pb[i])) << "parameter " << i;
  StateDict sa = a->state_dict(), sb = b->state_dict();
  ASSERT_EQ(sa.size(), sb.size());
  for (const auto& [key, t] : sa) EXPECT_TRUE(bit_equal(t, sb.at(key))) << key;
}

}  // namespace

TEST(OptimizerState, KeysAndDtypes) {
  std::vector<Tensor> ps = make_params(1);
  Adam opt(ps, AdamOptions(1e-3), {"fc.weight", "fc.bias", "head"});
  fill_grads(ps, 1);  // "head" gets no gradient
  opt.step();
  StateDict sd = opt.state_dict();
  std::vector<std::string> keys;
  for (const auto& [k, v] : sd) keys.push_back(k);
  std::vector<std::string> expect = {"param_groups.betas", "param_groups.decoupled_weight_decay", "param_groups.eps",
                                     "param_groups.lr", "param_groups.steps", "param_groups.weight_decay",
                                     "state.fc.bias.exp_avg", "state.fc.bias.exp_avg_sq", "state.fc.bias.step",
                                     "state.fc.weight.exp_avg", "state.fc.weight.exp_avg_sq", "state.fc.weight.step"};
  EXPECT_EQ(keys, expect);
  EXPECT_EQ(sd.at("param_groups.lr").dtype(), kFloat64);
  EXPECT_EQ(sd.at("param_groups.lr").dim(), 0);
  EXPECT_EQ(sd.at("state.fc.weight.step").dtype(), kInt64);
  EXPECT_EQ(sd.at("state.fc.weight.exp_avg").dtype(), kFloat32);
  EXPECT_EQ(sd.at("state.fc.weight.exp_avg").shape(), (Shape{3, 4}));
  EXPECT_EQ(sd.at("param_groups.betas").to_vector<double>(), (std::vector<double>{0.9, 0.999}));
  // state_dict returns copies: stepping on does not change a saved dict.
  Tensor saved = sd.at("state.fc.bias.exp_avg").clone();
  opt.step();
  EXPECT_TRUE(bit_equal(sd.at("state.fc.bias.exp_avg"), saved));
  SGD sgd(ps, SGDOptions(0.1).with_momentum(0.9).with_nesterov());
  sgd.step();
  StateDict ss = sgd.state_dict();
  EXPECT_EQ(ss.at("param_groups.nesterov").item<int64_t>(), 1);
  EXPECT_EQ(ss.count("state.0.momentum_buffer"), 1u);
  EXPECT_EQ(ss.count("state.2.momentum_buffer"), 0u);
}

TEST(OptimizerState, RoundTripSGD) {
  round_trip([](std::vector<Tensor> ps) {
    return std::make_unique<SGD>(ps, SGDOptions(0.05).with_momentum(0.9).with_dampening(0.1).with_weight_decay(1e-2));
  });
  round_trip([](std::vector<Tensor> ps) { return std::make_unique<SGD>(ps, 0.1); });
}

TEST(OptimizerState, RoundTripAdamAndAdamW) {
  round_trip([](std::vector<Tensor> ps) {
    return std::make_unique<Adam>(ps, AdamOptions(1e-2).with_weight_decay(1e-3), std::vector<std::string>{"a", "b", "c"});
  });
  round_trip([](std::vector<Tensor> ps) { return std::make_unique<AdamW>(ps, AdamWOptions(3e-3).with_betas(0.8, 0.99)); });
  // Zero steps: the state holds hyper-parameters only.
  round_trip([](std::vector<Tensor> ps) { return std::make_unique<Adam>(ps); }, 0, 2);
}

TEST(OptimizerState, LoadRestoresHyperParameters) {
  std::vector<Tensor> ps = make_params(1);
  Adam a(ps, AdamOptions(0.02).with_betas(0.5, 0.9).with_eps(1e-5).with_weight_decay(0.1));
  Adam b(copy_params(ps));
  b.load_state_dict(a.state_dict());
  EXPECT_DOUBLE_EQ(b.lr(), 0.02);
  EXPECT_DOUBLE_EQ(b.beta1(), 0.5);
  EXPECT_DOUBLE_EQ(b.beta2(), 0.9);
  EXPECT_DOUBLE_EQ(b.eps(), 1e-5);
  EXPECT_DOUBLE_EQ(b.weight_decay(), 0.1);
}

TEST(OptimizerState, LoadConvertsDtypeOfBuffers) {
  std::vector<Tensor> ps = make_params(1);
  SGD a(ps, 0.1, 0.9);
  fill_grads(ps, 0);
  a.step();
  StateDict sd = a.state_dict();
  sd["state.0.momentum_buffer"] = sd["state.0.momentum_buffer"].to(kFloat64);  // saved in another precision
  SGD b(copy_params(ps), 0.1, 0.9);
  b.load_state_dict(sd);
  EXPECT_EQ(b.state_dict().at("state.0.momentum_buffer").dtype(), kFloat32);
}

TEST(OptimizerState, LoadErrors) {
  std::vector<Tensor> ps = make_params(1);
  Adam a(ps, 1e-3);
  fill_grads(ps, 0);
  a.step();
  const StateDict good = a.state_dict();
  Adam b(copy_params(ps), 5e-4);
  auto without = [&](const std::string& key) {
    StateDict sd = good;
    sd.erase(key);
    return sd;
  };
  EXPECT_EMBER_ERROR(b.load_state_dict(without("param_groups.lr")), "Adam.load_state_dict", "missing key 'param_groups.lr'");
  EXPECT_EMBER_ERROR(b.load_state_dict(without("state.1.exp_avg_sq")), "missing key 'state.1.exp_avg_sq'");
  StateDict extra = good;
  extra["state.7.exp_avg"] = zeros({2});
  EXPECT_EMBER_ERROR(b.load_state_dict(extra), "unexpected key 'state.7.exp_avg'");
  StateDict shape = good;
  shape["state.0.exp_avg"] = zeros({4, 3});
  EXPECT_EMBER_ERROR(b.load_state_dict(shape), "'state.0.exp_avg'", "[4,3]", "expected [3,4]");
  StateDict bad_beta = good;
  bad_beta["param_groups.betas"] = T({1.5, 0.999}, {2});
  EXPECT_EMBER_ERROR(b.load_state_dict(bad_beta), "beta1 1.5");
  StateDict bad_step = good;
  bad_step["state.0.step"] = scalar_tensor(2.5, kFloat64);
  EXPECT_EMBER_ERROR(b.load_state_dict(bad_step), "'state.0.step'", "integer");
  StateDict bad_lr = good;
  bad_lr["param_groups.lr"] = zeros({2}, kFloat64);
  EXPECT_EMBER_ERROR(b.load_state_dict(bad_lr), "'param_groups.lr'", "one value");
  // Adam state into AdamW, and SGD state into Adam.
  AdamW w(copy_params(ps));
  EXPECT_EMBER_ERROR(w.load_state_dict(good), "AdamW.load_state_dict", "from Adam");
  SGD s(copy_params(ps), 0.1, 0.9);
  EXPECT_EMBER_ERROR(s.load_state_dict(good), "SGD.load_state_dict");
  // A failed load leaves the optimizer as it was.
  EXPECT_DOUBLE_EQ(b.lr(), 5e-4);
  EXPECT_EQ(b.state_dict().count("state.0.exp_avg"), 0u);
  // Fewer parameters than the state was saved with.
  Adam c({copy_params(ps)[0]});
  EXPECT_EMBER_ERROR(c.load_state_dict(good), "unexpected key 'state.1.");
}
