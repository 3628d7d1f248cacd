// nn::Module tests: registration rules, recursive dotted names and order, dedup of shared
// parameters, train/eval propagation, zero_grad, to(dtype) replacement semantics, state_dict
// and load_state_dict (dtype conversion, strict/non-strict errors listing every bad key),
// num_parameters and the PyTorch-style repr of nested modules.
#include <cmath>

#include "harness/op_harness.h"

using namespace ember;
using namespace ember::test;
using namespace ember::nn;

namespace {

std::vector<std::string> names_of(const NamedTensors& v) {
  std::vector<std::string> out;
  for (const auto& [n, t] : v) out.push_back(n);
  return out;
}

/// A custom module with its own parameter, a buffer and two children, as users write them.
class Block : public Module {
 public:
  Block() : Module("Block") {
    register_parameter("scale", ones({3}));
    register_buffer("steps", zeros({}, TensorOptions(kInt64)));
    fc = register_module("fc", std::make_shared<Linear>(3, 3));
    act = register_module("act", std::make_shared<Tanh>());
  }
  Tensor forward(const Tensor& x) override { return act->forward(fc->forward(mul(x, parameter("scale")))); }
  std::shared_ptr<Linear> fc;
  std::shared_ptr<Tanh> act;
};

}  // namespace

TEST(Module, RegistrationAndDottedNames) {
  auto net = std::make_shared<Sequential>(std::make_shared<Block>(), std::make_shared<BatchNorm2d>(2));
  EXPECT_EQ(names_of(net->named_parameters()),
            (std::vector<std::string>{"0.scale", "0.fc.weight", "0.fc.bias", "1.weight", "1.bias"}));
  EXPECT_EQ(names_of(net->named_buffers()),
            (std::vector<std::string>{"0.steps", "1.running_mean", "1.running_var", "1.num_batches_tracked"}));
  EXPECT_TRUE(net->named_parameters(false).empty());
  EXPECT_EQ(net->children().size(), 2u);
  std::vector<std::string> mods;
  for (auto& [n, m] : net->named_modules()) mods.push_back(n + ":" + m->name());
  EXPECT_EQ(mods, (std::vector<std::string>{"0:Block", "0.fc:Linear", "0.act:Tanh", "1:BatchNorm2d"}));
  for (const Tensor& p : net->parameters()) EXPECT_TRUE(p.requires_grad());
  for (const Tensor& b : net->buffers()) EXPECT_FALSE(b.requires_grad());
  // The parameters are the tensors forward uses: a gradient lands on them.
  auto block = net->at<Block>(0);
  sum(block->forward(ones({2, 3}))).backward();
  EXPECT_TRUE(block->fc->weight().grad().defined());
  EXPECT_TRUE(net->named_parameters()[1].second.grad().defined());
}

TEST(Module, RegistrationErrors) {
  Module m("Custom");
  m.register_parameter("w", zeros({2}));
  EXPECT_EMBER_ERROR(m.register_parameter("w", zeros({2})), "Custom", "'w'", "already registered");
  EXPECT_EMBER_ERROR(m.register_buffer("w", zeros({2})), "already registered");
  EXPECT_EMBER_ERROR(m.register_parameter("a.b", zeros({2})), "must not contain '.'");
  EXPECT_EMBER_ERROR(m.register_parameter("", zeros({2})), "non-empty");
  EXPECT_EMBER_ERROR(m.register_parameter("i", zeros({2}, TensorOptions(kInt64))), "floating", "int64");
  EXPECT_EMBER_ERROR(m.register_parameter("u", Tensor()), "undefined");
  EXPECT_EMBER_ERROR(m.register_module("c", std::shared_ptr<Module>()), "null");
  EXPECT_EMBER_ERROR(m.parameter("nope"), "no parameter named 'nope'");
  EXPECT_EMBER_ERROR(m.buffer("nope"), "no buffer named 'nope'");
  EXPECT_EMBER_ERROR(m.forward(zeros({1})), "Custom.forward");
  EXPECT_EMBER_ERROR(m.to(kInt64), "floating");
  // An integer parameter is allowed when it does not require grad (as PyTorch).
  EXPECT_FALSE(m.register_parameter("k", zeros({2}, TensorOptions(kInt64)), false).requires_grad());
  // A leaf keeps its identity; a non-leaf is detached.
  Tensor leaf = ones({2});
  EXPECT_TRUE(m.register_parameter("leaf", leaf).is_same(leaf));
  EXPECT_TRUE(leaf.requires_grad());
  Tensor p = m.register_parameter("nonleaf", mul(leaf, 2.0));
  EXPECT_TRUE(p.is_leaf());
  auto seq = std::make_shared<Sequential>();
  EXPECT_EMBER_ERROR(seq->push_back(nullptr), "Sequential.push_back", "null");
  EXPECT_EMBER_ERROR((*seq)[0], "out of range");
}

TEST(Module, SharedParametersCountedOnce) {
  auto fc = std::make_shared<Linear>(4, 4);
  Sequential seq(fc, std::make_shared<ReLU>(), fc);
  EXPECT_EQ(names_of(seq.named_parameters()), (std::vector<std::string>{"0.weight", "0.bias"}));
  EXPECT_EQ(seq.num_parameters(), 20);
  // state_dict keeps every name, as PyTorch's.
  EXPECT_EQ(seq.state_dict().size(), 4u);
}

TEST(Module, TrainEvalPropagates) {
  auto net = std::make_shared<Sequential>(std::make_shared<Block>(), std::make_shared<Dropout>(0.5));
  EXPECT_TRUE(net->is_training());
  net->eval();
  EXPECT_FALSE(net->is_training());
  for (auto& [n, m] : net->named_modules()) EXPECT_FALSE(m->is_training()) << n;
  net->train();
  for (auto& [n, m] : net->named_modules()) EXPECT_TRUE(m->is_training()) << n;
}

TEST(Module, ZeroGrad) {
  Linear fc(3, 2);
  sum(fc.forward(ones({4, 3}))).backward();
  ASSERT_TRUE(fc.weight().grad().defined());
  fc.zero_grad(false);
  EXPECT_ALLCLOSE(fc.weight().grad(), zeros({2, 3}), 0, 0);
  fc.zero_grad();
  EXPECT_FALSE(fc.weight().grad().defined());
  EXPECT_FALSE(fc.bias().grad().defined());
}

TEST(Module, ToDtypeReplacesParametersKeepingRequiresGrad) {
  manual_seed(3);
  BatchNorm2d bn(3);
  Linear fc(3, 2);
  sum(fc.forward(ones({1, 3}))).backward();
  Tensor w32 = fc.weight();
  fc.to(kFloat64);
  EXPECT_EQ(fc.weight().dtype(), kFloat64);
  EXPECT_TRUE(fc.weight().requires_grad());
  EXPECT_TRUE(fc.weight().is_leaf());
  EXPECT_EQ(fc.weight().grad().dtype(), kFloat64);
  EXPECT_ALLCLOSE(fc.weight(), w32.to(kFloat64), 0, 0);
  EXPECT_EQ(fc.forward(ones({1, 3}, kFloat64)).dtype(), kFloat64);
  // Converting to the same dtype keeps the very same tensors.
  Tensor w64 = fc.weight();
  fc.to(kFloat64);
  EXPECT_TRUE(fc.weight().is_same(w64));
  // Integer buffers keep their dtype; floating ones convert.
  bn.to(kFloat64);
  EXPECT_EQ(bn.running_mean().dtype(), kFloat64);
  EXPECT_EQ(bn.num_batches_tracked().dtype(), kInt64);
  bn.to(Device("cpu"));
  EXPECT_EQ(bn.weight().device(), Device("cpu"));
}

TEST(Module, StateDictRoundTripWithConversion) {
  manual_seed(1);
  auto a = std::make_shared<Sequential>(std::make_shared<Linear>(3, 4), std::make_shared<BatchNorm2d>(4));
  manual_seed(2);
  auto b = std::make_shared<Sequential>(std::make_shared<Linear>(3, 4), std::make_shared<BatchNorm2d>(4));
  auto sd = a->state_dict();
  std::vector<std::string> keys;
  for (auto& [k, v] : sd) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"0.bias", "0.weight", "1.bias", "1.num_batches_tracked",
                                            "1.running_mean", "1.running_var", "1.weight"}));
  for (auto& [k, v] : sd) EXPECT_FALSE(v.requires_grad()) << k;
  // A float64 checkpoint loads into float32 parameters, in place.
  std::map<std::string, Tensor> sd64;
  for (auto& [k, v] : sd) sd64[k] = is_floating(v.dtype()) ? v.to(kFloat64) : v;
  sd64["1.num_batches_tracked"] = scalar_tensor(7, TensorOptions(kInt64));
  Tensor w_before = b->named_parameters()[0].second;
  b->load_state_dict(sd64);
  EXPECT_TRUE(b->named_parameters()[0].second.is_same(w_before));
  EXPECT_EQ(w_before.dtype(), kFloat32);
  EXPECT_TRUE(w_before.requires_grad());
  for (auto& [k, v] : b->state_dict()) {
    if (k == "1.num_batches_tracked") {
      EXPECT_EQ(v.item<int64_t>(), 7);
    } else {
      EXPECT_ALLCLOSE(v, sd.at(k), 0, 0);
    }
  }
}

TEST(Module, StrictLoadListsEveryProblem) {
  Sequential net(std::make_shared<Linear>(3, 4), std::make_shared<ReLU>(), std::make_shared<Linear>(4, 2));
  auto sd = net.state_dict();
  auto bad = sd;
  bad.erase("0.bias");
  bad.erase("2.weight");
  bad["3.weight"] = zeros({1});
  bad["extra"] = zeros({1});
  bad["0.weight"] = zeros({3, 4});
  Tensor w0 = net.named_parameters()[0].second.clone();
  EXPECT_EMBER_ERROR(net.load_state_dict(bad), "load_state_dict", "Sequential", "missing keys", "\"0.bias\"",
                     "\"2.weight\"", "unexpected keys", "\"3.weight\"", "\"extra\"", "size mismatch", "\"0.weight\"",
                     "[3,4]", "[4,3]");
  // Nothing was written.
  EXPECT_ALLCLOSE(net.named_parameters()[0].second, w0, 0, 0);
  // Non-strict ignores missing/unexpected keys but still rejects the wrong shape...
  try {
    net.load_state_dict(bad, false);
    ADD_FAILURE() << "expected a size mismatch";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("size mismatch"), std::string::npos);
    EXPECT_EQ(msg.find("missing keys"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("unexpected keys"), std::string::npos) << msg;
  }
  // ...and loads what matches once the shape is right.
  bad["0.weight"] = full({4, 3}, 0.25);
  net.load_state_dict(bad, false);
  EXPECT_ALLCLOSE(net.named_parameters()[0].second, full({4, 3}, 0.25), 0, 0);
  bad["2.bias"] = Tensor();
  EXPECT_EMBER_ERROR(net.load_state_dict(bad, false), "\"2.bias\"", "undefined");
}

TEST(Module, Repr) {
  auto net = std::make_shared<Sequential>(
      std::make_shared<Flatten>(), std::make_shared<Linear>(784, 512),
      std::make_shared<Sequential>(std::make_shared<ReLU>(), std::make_shared<Linear>(512, 10, false)));
  EXPECT_EQ(net->repr(),
            "Sequential(\n"
            "  (0): Flatten(start_dim=1, end_dim=-1)\n"
            "  (1): Linear(in_features=784, out_features=512, bias=True)\n"
            "  (2): Sequential(\n"
            "    (0): ReLU()\n"
            "    (1): Linear(in_features=512, out_features=10, bias=False)\n"
            "  )\n"
            ")");
  Block b;
  EXPECT_EQ(b.repr(),
            "Block(\n"
            "  (fc): Linear(in_features=3, out_features=3, bias=True)\n"
            "  (act): Tanh()\n"
            ")");
  std::ostringstream os;
  os << Sequential();
  EXPECT_EQ(os.str(), "Sequential()");
}
