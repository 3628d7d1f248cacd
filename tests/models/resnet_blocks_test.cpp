// ResNet building blocks in training mode: float64 finite-difference gradient checks (input and
// every parameter) of BasicBlock with the identity shortcut and with a downsample, Bottleneck
// with stride 2 (downsample) and with the identity, and a tiny whole ResNet trunk; plus one
// resnet20 SGD training step whose gradients reach every parameter.
#include <cmath>

#include "harness/module_gradcheck.h"
#include "harness/op_harness.h"
#include "models/resnet.h"

using namespace ember;
using namespace ember::test;

namespace {

/// Input and parameter gradchecks of a module in training mode, converted to float64.
void expect_module_gradcheck(nn::Module& m, const Tensor& x, const Shape& out_shape) {
  m.to(kFloat64);
  m.train();
  ASSERT_EQ(m.forward(x).shape(), out_shape);
  EXPECT_GRADCHECK([&](const std::vector<Tensor>& v) { return m.forward(v[0]); }, {x});
  EXPECT_TRUE(check_param_grads(m, x));
}

bool has_child(const nn::Module& m, const std::string& name) {
  for (const auto& [n, c] : m.named_children())
    if (n == name) return true;
  return false;
}

}  // namespace

TEST(ResNetBlocks, BasicBlockIdentityGradcheck) {
  manual_seed(21);
  models::BasicBlock b(3, 3, 1);
  EXPECT_FALSE(has_child(b, "downsample"));
  expect_module_gradcheck(b, uniform({2, 3, 4, 4}, -1, 1, 31), {2, 3, 4, 4});
}

TEST(ResNetBlocks, BasicBlockDownsampleGradcheck) {
  manual_seed(22);
  models::BasicBlock b(2, 3, 2);  // stride 2 and a channel change: conv1x1(stride 2) + BN shortcut
  EXPECT_TRUE(has_child(b, "downsample"));
  expect_module_gradcheck(b, uniform({2, 2, 5, 5}, -1, 1, 32), {2, 3, 3, 3});
}

TEST(ResNetBlocks, BottleneckStride2Gradcheck) {
  manual_seed(23);
  models::Bottleneck b(4, 2, 2);  // 4 -> 8 channels, stride on the 3x3 conv (v1.5)
  EXPECT_TRUE(has_child(b, "downsample"));
  expect_module_gradcheck(b, uniform({2, 4, 5, 5}, -1, 1, 33), {2, 8, 3, 3});
}

TEST(ResNetBlocks, BottleneckIdentityGradcheck) {
  manual_seed(24);
  models::Bottleneck b(8, 2, 1);
  EXPECT_FALSE(has_child(b, "downsample"));
  expect_module_gradcheck(b, uniform({2, 8, 3, 3}, -1, 1, 34), {2, 8, 3, 3});
}

TEST(ResNetBlocks, TinyTrunkGradcheck) {
  // Both stems, two stages (the second with a downsample), global average pooling and fc.
  for (bool small_stem : {true, false}) {
    manual_seed(25);
    models::ResNetOptions o;
    o.layers = {1, 1};
    o.widths = {2, 3};
    o.stem_width = 2;
    o.num_classes = 3;
    o.in_channels = 2;
    o.small_stem = small_stem;
    models::ResNet net(o);
    expect_module_gradcheck(net, uniform({2, 2, 6, 6}, -1, 1, 35), {2, 3});
  }
}

TEST(ResNetBlocks, Resnet20TrainingStepReachesEveryParameter) {
  manual_seed(26);
  auto m = models::make_resnet20();
  m->train();
  auto before = m->state_dict();
  for (auto& [k, v] : before) v = v.clone();
  Tensor x = randn({4, 1, 28, 28});
  Tensor y = from_vector(std::vector<int64_t>{0, 3, 7, 9}, {4});
  optim::SGD opt(m->parameters(), 0.1, 0.9);
  opt.zero_grad();
  Tensor loss = cross_entropy(m->forward(x), y);
  EXPECT_TRUE(std::isfinite(loss.item()));
  EXPECT_GT(loss.item(), 0.5);  // ~ln(10) for a fresh model
  loss.backward();
  int64_t n = 0;
  ASSERT_TRUE(test::gradients_reach_every_parameter(*m, &n));
  EXPECT_EQ(n, 65);  // 21 convs (2 in shortcuts) + 21 BNs x 2 + fc weight and bias
  opt.step();
  auto after = m->state_dict();
  for (auto& [name, p] : m->named_parameters())
    EXPECT_FALSE(allclose(after.at(name), before.at(name), 0, 0)) << name << " not updated";
  for (auto& [name, b] : m->named_buffers()) {
    if (name.ends_with("num_batches_tracked")) EXPECT_EQ(b.item<int64_t>(), 1) << name;
    else EXPECT_FALSE(allclose(b, before.at(name), 0, 0)) << name << " running statistic not updated";
  }
}
